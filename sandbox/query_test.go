package sandbox

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestQueryErrorEnvelopes checks the raw error shapes the SDKs parse:
// awsQuery's ErrorResponse and ec2Query's Response/Errors, both HTTP 400.
func TestQueryErrorEnvelopes(t *testing.T) {
	env := newTestEnv(t)
	type queryError struct {
		XMLName   xml.Name
		Code      string `xml:"Error>Code"`
		Type      string `xml:"Error>Type"`
		EC2Code   string `xml:"Errors>Error>Code"`
		RequestID string `xml:"RequestId"`
		EC2ReqID  string `xml:"RequestID"`
	}
	tests := []struct {
		name     string
		form     string
		root     string
		code     string
		ec2Style bool
	}{
		{"unknown ELBv2 action", "Action=DescribeWidgets&Version=2015-12-01", "ErrorResponse", "InvalidAction", false},
		{"unknown version", "Action=DescribeWidgets&Version=1999-01-01", "ErrorResponse", "InvalidAction", false},
		{"ELBv2 client error", "Action=DescribeListeners&Version=2015-12-01", "ErrorResponse", "ValidationError", false},
		{"unknown EC2 action", "Action=RunInstances&Version=2016-11-15", "Response", "InvalidAction", true},
		{"EC2 client error", "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1", "Response", "InvalidVpcID.NotFound", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(env.URL, "application/x-www-form-urlencoded", strings.NewReader(tt.form))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != "text/xml" {
				t.Errorf("status %d, content type %q, want 400 text/xml", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var e queryError
			if err := xml.Unmarshal(body, &e); err != nil {
				t.Fatalf("%v in %s", err, body)
			}
			code, requestID := e.Code, e.RequestID
			if tt.ec2Style {
				code, requestID = e.EC2Code, e.EC2ReqID
			} else if e.Type != "Sender" {
				t.Errorf("Type = %q, want Sender", e.Type)
			}
			if e.XMLName.Local != tt.root || code != tt.code || requestID == "" {
				t.Errorf("got <%s> code %q request id %q, want <%s> %s with a request id: %s", e.XMLName.Local, code, requestID, tt.root, tt.code, body)
			}
		})
	}
}

func TestFormLists(t *testing.T) {
	form, err := url.ParseQuery("Subnets.member.2=b&Subnets.member.1=a&Subnets.member.10=j&SecurityGroups=&Filter.1.Name=vpc-id&Filter.1.Value.1=v1&Filter.1.Value.2=v2&Filter.2.Name=state&Filter.2.Value.1=available")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		list    formList
		values  []string
		present bool
	}{
		{"members in numeric order", memberList(form, "Subnets"), []string{"a", "b", "j"}, true},
		{"explicitly empty", memberList(form, "SecurityGroups"), []string{}, true},
		{"absent", memberList(form, "Tags"), []string{}, false},
		{"ec2 flattened", ec2List(form, "Filter.1.Value"), []string{"v1", "v2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.list.values(form)
			if tt.list.Present != tt.present || strings.Join(got, ",") != strings.Join(tt.values, ",") {
				t.Errorf("got %v present=%v, want %v present=%v", got, tt.list.Present, tt.values, tt.present)
			}
		})
	}
	filters := ec2Filters(form)
	if len(filters) != 2 || filters[0].Name != "vpc-id" || len(filters[0].Values) != 2 || filters[1].Values[0] != "available" {
		t.Errorf("filters = %+v", filters)
	}
}

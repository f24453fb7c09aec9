package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestSTSGetCallerIdentity(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		account string
	}{
		{name: "default account", opts: Options{}, account: "000000000000"},
		{name: "configured account", opts: Options{AccountID: "123456789012", Region: "eu-west-1"}, account: "123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnvWith(t, tt.opts)
			out, err := env.STS.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.Account); got != tt.account {
				t.Errorf("Account = %q, want %q", got, tt.account)
			}
			if want := "arn:aws:iam::" + tt.account + ":user/sandbox"; aws.ToString(out.Arn) != want {
				t.Errorf("Arn = %q, want %q", aws.ToString(out.Arn), want)
			}
			if aws.ToString(out.UserId) == "" {
				t.Error("UserId is empty")
			}
		})
	}
}

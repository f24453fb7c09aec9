package deploy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/ecsconsole/ecsconsole/sandbox"
)

// A request's AWS call gives up at its bound and names its operation; the
// engine's background call, on an unmarked context, is not cut short by
// that bound (it keeps waiting until its own caller's deadline).
func TestRequestCallsAreBoundedBackgroundCallsAreNot(t *testing.T) {
	silent, err := sandbox.NewSilent()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	factory := NewClientFactory(AWSOptions{
		Endpoint:           silent.URL(),
		Credentials:        credentials.NewStaticCredentialsProvider("test", "test", ""),
		RequestCallTimeout: 200 * time.Millisecond,
	})
	call := func(ctx context.Context) error {
		clients, err := factory(ctx, "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = clients.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
		return err
	}

	outer, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = call(ForRequest(outer))
	var oe *smithy.OperationError
	if !errors.As(err, &oe) || oe.Service() != "EC2" || oe.Operation() != "DescribeSubnets" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a request's call to a silent AWS: %v; want EC2 DescribeSubnets past its deadline", err)
	}
	if outer.Err() != nil {
		t.Error("the request's call was not bounded: it ran until the caller's own deadline")
	}

	background, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := call(background); err == nil {
		t.Fatal("a silent AWS answered")
	}
	if background.Err() == nil {
		t.Error("the engine's call gave up before its caller's deadline: the request bound reached background work")
	}
}

package sandbox

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

func createLogGroup(t *testing.T, env *testEnv, name string) {
	t.Helper()
	if _, err := env.Logs.CreateLogGroup(t.Context(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		t.Fatalf("CreateLogGroup(%s): %v", name, err)
	}
}

// putMessages writes one event per message into a new stream, the i-th
// timestamped at base + i seconds.
func putMessages(t *testing.T, env *testEnv, group, stream string, base time.Time, messages ...string) {
	t.Helper()
	if _, err := env.Logs.CreateLogStream(t.Context(), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatalf("CreateLogStream: %v", err)
	}
	var events []logtypes.InputLogEvent
	for i, m := range messages {
		events = append(events, logtypes.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(base.Add(time.Duration(i) * time.Second).UnixMilli())})
	}
	if _, err := env.Logs.PutLogEvents(t.Context(), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
}

func messagesOf(events []logtypes.OutputLogEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

func TestLogsLogGroups(t *testing.T) {
	env := newTestEnv(t)
	names := []string{"/ecs/api", "/ecs/web", "/ecs/worker", "/other/app"}
	for _, n := range names {
		createLogGroup(t, env, n)
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct{ name, group, code string }{
			{"duplicate", "/ecs/web", "ResourceAlreadyExistsException"},
			{"space in name", "/ecs/my app", "InvalidParameterException"},
			{"colon in name", "/ecs/web:1", "InvalidParameterException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := env.Logs.CreateLogGroup(t.Context(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(tt.group)})
				wantAPIError(t, err, tt.code)
			})
		}
	})

	t.Run("prefix and pages", func(t *testing.T) {
		var got []string
		pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(env.Logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/"), Limit: aws.Int32(2)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			if err != nil {
				t.Fatalf("DescribeLogGroups: %v", err)
			}
			for _, g := range page.LogGroups {
				got = append(got, aws.ToString(g.LogGroupName))
				if want := "arn:aws:logs:us-east-1:000000000000:log-group:" + aws.ToString(g.LogGroupName) + ":*"; aws.ToString(g.Arn) != want {
					t.Errorf("arn %s, want %s", aws.ToString(g.Arn), want)
				}
				if aws.ToInt64(g.CreationTime) < time.Now().Add(-time.Minute).UnixMilli() {
					t.Errorf("creationTime %d is not epoch milliseconds of now", aws.ToInt64(g.CreationTime))
				}
			}
		}
		if want := names[:3]; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestLogsGetLogEvents(t *testing.T) {
	env := newTestEnv(t)
	createLogGroup(t, env, "/ecs/web")
	base := time.Now().Add(-time.Minute)
	putMessages(t, env, "/ecs/web", "ecs/web/task1", base, "m0", "m1", "m2", "m3", "m4")

	get := func(in cloudwatchlogs.GetLogEventsInput) *cloudwatchlogs.GetLogEventsOutput {
		t.Helper()
		in.LogGroupName, in.LogStreamName = aws.String("/ecs/web"), aws.String("ecs/web/task1")
		out, err := env.Logs.GetLogEvents(t.Context(), &in)
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		return out
	}

	t.Run("forward from the head, same token at the end", func(t *testing.T) {
		page := get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(2)})
		var got []string
		for range 5 {
			got = append(got, messagesOf(page.Events)...)
			next := get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true), Limit: aws.Int32(2), NextToken: page.NextForwardToken})
			if len(next.Events) == 0 {
				if aws.ToString(next.NextForwardToken) != aws.ToString(page.NextForwardToken) {
					t.Errorf("caught-up token %s, want the one passed, %s", aws.ToString(next.NextForwardToken), aws.ToString(page.NextForwardToken))
				}
				break
			}
			page = next
		}
		if want := []string{"m0", "m1", "m2", "m3", "m4"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	t.Run("newest first by default, then backward", func(t *testing.T) {
		page := get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(2)})
		if got := messagesOf(page.Events); !slices.Equal(got, []string{"m3", "m4"}) {
			t.Fatalf("latest page %v, want [m3 m4]", got)
		}
		back := get(cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(2), NextToken: page.NextBackwardToken})
		if got := messagesOf(back.Events); !slices.Equal(got, []string{"m1", "m2"}) {
			t.Errorf("backward page %v, want [m1 m2]", got)
		}
	})

	t.Run("time range", func(t *testing.T) {
		page := get(cloudwatchlogs.GetLogEventsInput{StartFromHead: aws.Bool(true),
			StartTime: aws.Int64(base.Add(time.Second).UnixMilli()), EndTime: aws.Int64(base.Add(3 * time.Second).UnixMilli())})
		if got := messagesOf(page.Events); !slices.Equal(got, []string{"m1", "m2"}) {
			t.Errorf("got %v, want [m1 m2] (start inclusive, end exclusive)", got)
		}
	})

	t.Run("paginator tails to the end", func(t *testing.T) {
		var got []string
		pages := cloudwatchlogs.NewGetLogEventsPaginator(env.Logs, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("ecs/web/task1"), StartFromHead: aws.Bool(true), Limit: aws.Int32(3),
		}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, messagesOf(page.Events)...)
		}
		if len(got) != 5 {
			t.Errorf("paginator read %v, want 5 events", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			in   cloudwatchlogs.GetLogEventsInput
			code string
		}{
			{"unknown group", cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s")}, "ResourceNotFoundException"},
			{"unknown stream", cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("nope")}, "ResourceNotFoundException"},
			{"bad token", cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("ecs/web/task1"), NextToken: aws.String("x/12")}, "InvalidParameterException"},
			{"limit too large", cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("ecs/web/task1"), Limit: aws.Int32(10001)}, "InvalidParameterException"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := env.Logs.GetLogEvents(t.Context(), &tt.in)
				wantAPIError(t, err, tt.code)
			})
		}
	})
}

func TestLogsFilterLogEvents(t *testing.T) {
	env := newTestEnv(t)
	createLogGroup(t, env, "/ecs/web")
	base := time.Now().Add(-time.Hour)
	// Two streams whose events interleave in time.
	putMessages(t, env, "/ecs/web", "ecs/web/a", base, "a0 INFO start", "a1 ERROR boom", "a2 INFO ok")
	putMessages(t, env, "/ecs/web", "ecs/web/b", base.Add(500*time.Millisecond), "b0 ERROR disk full", "b1 INFO ok", "b2 ERROR boom")

	filter := func(in cloudwatchlogs.FilterLogEventsInput) []string {
		t.Helper()
		in.LogGroupName = aws.String("/ecs/web")
		var got []string
		pages := cloudwatchlogs.NewFilterLogEventsPaginator(env.Logs, &in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			if err != nil {
				t.Fatalf("FilterLogEvents: %v", err)
			}
			for _, e := range page.Events {
				got = append(got, aws.ToString(e.Message)[:2])
			}
		}
		return got
	}
	tests := []struct {
		name string
		in   cloudwatchlogs.FilterLogEventsInput
		want []string
	}{
		{"everything in time order, in pages", cloudwatchlogs.FilterLogEventsInput{Limit: aws.Int32(4)}, []string{"a0", "b0", "a1", "b1", "a2", "b2"}},
		{"term", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, []string{"b0", "a1", "b2"}},
		{"all terms", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR boom")}, []string{"a1", "b2"}},
		{"quoted phrase", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"disk full"`)}, []string{"b0"}},
		{"named streams", cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"ecs/web/b"}, Limit: aws.Int32(1)}, []string{"b0", "b1", "b2"}},
		{"stream prefix", cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("ecs/web/a")}, []string{"a0", "a1", "a2"}},
		{"time window", cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(base.Add(time.Second).UnixMilli()), EndTime: aws.Int64(base.Add(2 * time.Second).UnixMilli())}, []string{"a1", "b1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := filter(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	_, err := env.Logs.FilterLogEvents(t.Context(), &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("/ecs/web"), LogStreamNames: []string{"ecs/web/a"}, LogStreamNamePrefix: aws.String("ecs/"),
	})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestLogsDescribeLogStreams(t *testing.T) {
	env := newTestEnv(t)
	createLogGroup(t, env, "/ecs/web")
	base := time.Now().Add(-time.Hour)
	for i, stream := range []string{"web/c", "web/a", "web/b"} {
		putMessages(t, env, "/ecs/web", stream, base.Add(time.Duration(i)*time.Minute), "line")
	}
	describe := func(in cloudwatchlogs.DescribeLogStreamsInput) []string {
		t.Helper()
		in.LogGroupName = aws.String("/ecs/web")
		var got []string
		pages := cloudwatchlogs.NewDescribeLogStreamsPaginator(env.Logs, &in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(t.Context())
			if err != nil {
				t.Fatalf("DescribeLogStreams: %v", err)
			}
			for _, s := range page.LogStreams {
				got = append(got, aws.ToString(s.LogStreamName))
			}
		}
		return got
	}
	if got := describe(cloudwatchlogs.DescribeLogStreamsInput{Limit: aws.Int32(2)}); !slices.Equal(got, []string{"web/a", "web/b", "web/c"}) {
		t.Errorf("by name: %v", got)
	}
	byTime := describe(cloudwatchlogs.DescribeLogStreamsInput{OrderBy: logtypes.OrderByLastEventTime, Descending: aws.Bool(true)})
	if !slices.Equal(byTime, []string{"web/b", "web/a", "web/c"}) {
		t.Errorf("by last event time, newest first: %v", byTime)
	}
	_, err := env.Logs.DescribeLogStreams(t.Context(), &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("/ecs/web"), OrderBy: logtypes.OrderByLastEventTime, LogStreamNamePrefix: aws.String("web/"),
	})
	wantAPIError(t, err, "InvalidParameterException")
}

// TestLogsWorldHelpers covers what ECS's awslogs simulation relies on.
func TestLogsWorldHelpers(t *testing.T) {
	env := newTestEnv(t)
	now := env.Server.Clock().Now()
	inWorld(env.Server, func(w *world) {
		if w.logGroupExists("/ecs/app") {
			t.Fatal("group exists before creation")
		}
		w.createLogGroupIfMissing("/ecs/app", now)
		w.createLogGroupIfMissing("/ecs/app", now) // idempotent
		for i := range 3 {
			w.putLogLines("/ecs/app", "ecs/web/task1", []string{fmt.Sprintf("line %d", i)}, now.Add(time.Duration(i)*time.Second))
		}
		w.putLogLines("/ecs/missing", "ecs/web/task1", []string{"dropped"}, now)
	})
	out, err := env.Logs.GetLogEvents(t.Context(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/ecs/app"), LogStreamName: aws.String("ecs/web/task1"), StartFromHead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := messagesOf(out.Events); !slices.Equal(got, []string{"line 0", "line 1", "line 2"}) {
		t.Errorf("got %v", got)
	}
	groups, err := env.Logs.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Errorf("DescribeLogGroups = %d groups, %v; want only /ecs/app", len(groups.LogGroups), err)
	}
}

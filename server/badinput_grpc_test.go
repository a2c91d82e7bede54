package server_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// grpcCase is the same over gRPC.
type grpcCase struct {
	name    string
	call    func(ctx context.Context) error
	ctx     context.Context // nil: no credentials
	code    codes.Code
	reason  string // the ErrorInfo reason; empty for protovalidate's violations, which carry none
	message string
}

type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func checkGRPC(t *testing.T, tc grpcCase) {
	t.Helper()
	ctx := tc.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	err := tc.call(ctx)
	st := status.Convert(err)
	if st.Code() != tc.code {
		t.Fatalf("%v; want %s", err, tc.code)
	}
	if tc.code == codes.OK {
		return
	}
	var reason string
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.Reason
		}
	}
	if reason != tc.reason {
		t.Errorf("reason %q; want %q (%v)", reason, tc.reason, err)
	}
	if !strings.Contains(st.Message(), tc.message) {
		t.Errorf("message %q does not mention %q", st.Message(), tc.message)
	}
}

// rawMessage is a request whose wire bytes are given: grpc-go refuses to
// encode a proto3 string that is not UTF-8, so such requests are sent as
// the unknown fields of an empty message.
func rawMessage(b []byte) proto.Message {
	m := &emptypb.Empty{}
	m.ProtoReflect().SetUnknown(b)
	return m
}

// field encodes one length-delimited field.
func field(num protowire.Number, value []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), value)
}

func badGRPCCases(b *servertest.Board, f *badInputFixtures) []grpcCase {
	jobs, users := b.Jobs, hmbv1.NewUserServiceClient(b.Conn)
	authn := hmbv1.NewAuthServiceClient(b.Conn)
	invoke := func(method string, wire []byte, reply proto.Message) func(context.Context) error {
		return func(ctx context.Context) error { return b.Conn.Invoke(ctx, method, rawMessage(wire), reply) }
	}
	bearer := func(value string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), "authorization", value)
	}
	getMe := func(ctx context.Context) error { _, err := users.GetMe(ctx, &hmbv1.GetMeRequest{}); return err }
	listJobs := func(req *hmbv1.ListJobsRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := jobs.ListJobs(ctx, req); return err }
	}
	listUsers := func(req *hmbv1.ListUsersRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := users.ListUsers(ctx, req); return err }
	}
	createJob := func(j *hmbv1.Job) func(context.Context) error {
		if j.Description == "" {
			j.Description = "Cook."
		}
		j.Company, j.Category, j.EmploymentType, j.Island = "Graycliff", hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY,
			hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, hmbv1.Island_ISLAND_NEW_PROVIDENCE
		return func(ctx context.Context) error {
			_, err := jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: j})
			return err
		}
	}
	getJob := func(id string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := jobs.GetJob(ctx, &hmbv1.GetJobRequest{Id: id}); return err }
	}
	register := func(req *hmbv1.RegisterRequest) func(context.Context) error {
		if req.Email == "" {
			req.Email = servertest.NewEmail("bad")
		}
		req.Password, req.LastName = servertest.Password, "L"
		return func(ctx context.Context) error { _, err := authn.Register(ctx, req); return err }
	}
	updateMe := func(u *hmbv1.User, paths ...string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := users.UpdateMe(ctx, &hmbv1.UpdateMeRequest{User: u, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			return err
		}
	}
	const (
		inv     = codes.InvalidArgument
		unauth  = codes.Unauthenticated
		badTok  = "TOKEN_INVALID"
		badUTF8 = "INVALID_UTF8"
		nul     = "NUL_CHARACTER"
		badPage = "INVALID_PAGE_TOKEN"
	)
	emp, seeker, admin := f.employerCtx, f.seekerCtx, f.adminCtx
	notUTF8 := []byte("Chef \xff\xfe")

	return []grpcCase{
		// Strings that are not UTF-8: grpc-go's decoding fails before any
		// interceptor runs.
		{name: "invalid UTF-8 in q", call: invoke(hmbv1.JobService_ListJobs_FullMethodName, field(1, notUTF8), &hmbv1.ListJobsResponse{}),
			code: inv, reason: badUTF8, message: "q: must be valid UTF-8"},
		{name: "invalid UTF-8 in a nested title", ctx: emp, code: inv, reason: badUTF8, message: "job.title: must be valid UTF-8",
			call: invoke(hmbv1.JobService_CreateJob_FullMethodName, field(1, field(4, notUTF8)), &hmbv1.Job{})},
		{name: "invalid UTF-8 in a repeated field", ctx: emp, code: inv, reason: badUTF8, message: "user.skills[1]",
			call: invoke(hmbv1.UserService_UpdateMe_FullMethodName, field(1, append(field(11, []byte("Go")), field(11, notUTF8)...)), &hmbv1.User{})},
		{name: "invalid UTF-8 in an email", call: invoke(hmbv1.AuthService_Login_FullMethodName, field(1, notUTF8), &hmbv1.AuthSession{}),
			code: inv, reason: badUTF8, message: "email"},
		{name: "invalid UTF-8 in an id", call: invoke(hmbv1.JobService_GetJob_FullMethodName, field(1, []byte{0xc3}), &hmbv1.Job{}),
			code: inv, reason: badUTF8, message: "id"},
		{name: "invalid UTF-8 in a health check", call: invoke("/grpc.health.v1.Health/Check", field(1, notUTF8), &grpc_health_v1.HealthCheckResponse{}),
			code: inv, reason: badUTF8, message: "service"},
		{name: "invalid UTF-8 in a health watch", code: inv, reason: badUTF8, message: "service", call: func(ctx context.Context) error {
			stream, err := b.Conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/grpc.health.v1.Health/Watch")
			if err != nil {
				return err
			}
			if err := stream.SendMsg(rawMessage(field(1, notUTF8))); err != nil {
				return err
			}
			if err := stream.CloseSend(); err != nil {
				return err
			}
			return stream.RecvMsg(&grpc_health_v1.HealthCheckResponse{})
		}},
		{name: "bytes that are not a message", call: invoke(hmbv1.JobService_ListJobs_FullMethodName, []byte{0x0a, 0xff, 0xff}, &hmbv1.ListJobsResponse{}),
			code: inv, reason: "MALFORMED_REQUEST", message: "could not be decoded"},

		// NUL, which PostgreSQL cannot store.
		{name: "NUL in q", call: listJobs(&hmbv1.ListJobsRequest{Q: "chef\x00"}), code: inv, reason: nul, message: "q: must not contain NUL"},
		{name: "NUL in a talent search", ctx: emp, call: listUsers(&hmbv1.ListUsersRequest{Q: "\x00"}), code: inv, reason: nul, message: "q"},
		{name: "NUL in a sign-in email", code: inv, reason: nul, message: "email", call: func(ctx context.Context) error {
			_, err := authn.Login(ctx, &hmbv1.LoginRequest{Email: "a\x00@example.com", Password: "x"})
			return err
		}},
		{name: "NUL in a name", call: register(&hmbv1.RegisterRequest{FirstName: "A\x00", Role: hmbv1.Role_ROLE_JOB_SEEKER}), code: inv, reason: nul, message: "first_name"},
		{name: "NUL in a title", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef\x00"}), code: inv, reason: nul, message: "job.title"},
		{name: "NUL in a headline", ctx: emp, call: updateMe(&hmbv1.User{Headline: "x\x00"}, "headline"), code: inv, reason: nul, message: "user.headline"},

		// Text people could not read as stored.
		{name: "zero-width space as a name", call: register(&hmbv1.RegisterRequest{FirstName: "\u200b", Role: hmbv1.Role_ROLE_JOB_SEEKER}), code: inv,
			reason: "INVALID_FIRST_NAME", message: "first_name: must not contain invisible or direction-changing characters (U+200B)"},
		{name: "right-to-left override in a sign-up email", call: register(&hmbv1.RegisterRequest{Email: "ada\u202e@example.com", FirstName: "A", Role: hmbv1.Role_ROLE_JOB_SEEKER}),
			code: inv, reason: "INVALID_EMAIL", message: "email: must not contain invisible or direction-changing characters (U+202E)"},
		{name: "braille blank as a skill", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", Skills: []string{"\u2800"}}), code: inv,
			reason: "INVALID_JOB_SKILLS", message: "job.skills[0]: must not contain invisible or direction-changing characters (U+2800)"},
		{name: "line separator in a company name", ctx: emp, call: updateMe(&hmbv1.User{CompanyName: "Graycliff\u2028Ltd"}, "company_name"), code: inv,
			reason: "INVALID_USER_COMPANY_NAME", message: "user.company_name: must not contain line or paragraph separators (U+2028)"},
		{name: "right-to-left override in a cover letter", ctx: seeker, code: inv, reason: "INVALID_COVER_LETTER",
			message: "cover_letter: must not contain direction-changing characters (U+202E)", call: func(ctx context.Context) error {
				_, err := jobs.ApplyToJob(ctx, &hmbv1.ApplyToJobRequest{JobId: f.jobs[2].Id, CoverLetter: "Hi\u202e"})
				return err
			}},

		// Page sizes.
		{name: "negative page_size", call: listJobs(&hmbv1.ListJobsRequest{PageSize: -1}), code: inv, message: "page_size"},
		{name: "huge page_size", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1 << 30}), code: inv, message: "page_size"},
		{name: "largest int32 page_size of users", ctx: emp, call: listUsers(&hmbv1.ListUsersRequest{PageSize: math.MaxInt32}), code: inv, message: "page_size"},
		{name: "smallest int32 page_size of saved jobs", ctx: seeker, code: inv, message: "page_size", call: func(ctx context.Context) error {
			_, err := jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{PageSize: math.MinInt32})
			return err
		}},

		// Bad access tokens.
		{name: "Bearer alone", ctx: bearer("Bearer"), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "Basic credentials", ctx: bearer("Basic dXNlcjpwYXNz"), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "two tokens in one value", ctx: bearer("Bearer " + f.employerToken + " " + f.employerToken), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "two authorization values", ctx: metadata.AppendToOutgoingContext(f.employerCtx, "authorization", "Bearer "+f.employerToken),
			call: getMe, code: unauth, reason: badTok, message: "one Authorization header"},
		{name: "JWT with alg none", ctx: bearer("Bearer " + f.algNone), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "tampered signature", ctx: bearer("Bearer " + f.forged), call: getMe, code: unauth, reason: badTok, message: "not valid"},
		{name: "expired token", ctx: bearer("Bearer " + f.expired), call: getMe, code: unauth, reason: "TOKEN_EXPIRED", message: "expired"},
		{name: "10,000-character token", ctx: bearer("Bearer " + strings.Repeat("a", 10_000)), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "bad token on a public method", ctx: bearer("Bearer " + f.forged), call: listJobs(&hmbv1.ListJobsRequest{}), code: unauth, reason: badTok, message: "not valid"},

		// Page tokens.
		{name: "garbage page token", call: listJobs(&hmbv1.ListJobsRequest{PageToken: "garbage"}), code: inv, reason: badPage, message: "page_token"},
		{name: "users page token for jobs", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1, PageToken: f.usersToken}), code: inv, reason: badPage, message: "page_token"},
		{name: "page token of another query", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1, Q: "chef", PageToken: f.jobsToken}), code: inv, reason: badPage, message: "page_token"},
		{name: "tampered page token", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1, PageToken: f.tamperedNum}), code: inv, reason: badPage, message: "page_token"},
		{name: "another user's saved-jobs token", ctx: emp, code: inv, reason: badPage, message: "page_token", call: func(ctx context.Context) error {
			_, err := jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{PageToken: f.savedToken})
			return err
		}},
		{name: "page token over 512 characters", call: listJobs(&hmbv1.ListJobsRequest{PageToken: strings.Repeat("A", 513)}), code: inv, message: "page_token"},

		// Ids that are not ids.
		{name: "word as an id", call: getJob("not-a-uuid"), code: inv, message: "id"},
		{name: "number as an id", call: getJob("1"), code: inv, message: "id"},
		{name: "empty id", call: getJob(""), code: inv, message: "id"},
		{name: "path as an id", code: inv, message: "id", call: func(ctx context.Context) error {
			_, err := users.GetUser(ctx, &hmbv1.GetUserRequest{Id: "../../users/me"})
			return err
		}},
		{name: "SQL as an id", ctx: emp, code: inv, message: "id", call: func(ctx context.Context) error {
			_, err := jobs.DeleteJob(ctx, &hmbv1.DeleteJobRequest{Id: "' OR 1=1 --"})
			return err
		}},
		{name: "percent as a job id", ctx: seeker, code: inv, message: "job_id", call: func(ctx context.Context) error {
			_, err := jobs.SaveJob(ctx, &hmbv1.SaveJobRequest{JobId: "%"})
			return err
		}},
		{name: "nil UUID", call: getJob("00000000-0000-0000-0000-000000000000"), code: codes.NotFound, reason: "JOB_NOT_FOUND", message: "no such job"},

		// Enum values out of range, as numbers.
		{name: "island 99", call: listJobs(&hmbv1.ListJobsRequest{Island: []hmbv1.Island{99}}), code: inv, message: "island[0]"},
		{name: "category -1", call: listJobs(&hmbv1.ListJobsRequest{Category: []hmbv1.JobCategory{-1}}), code: inv, message: "category[0]"},
		{name: "job category 99", ctx: emp, code: inv, message: "job.category", call: func(ctx context.Context) error {
			_, err := jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Chef", Description: "Cook.", Category: 99,
				EmploymentType: 1, Island: 1}})
			return err
		}},
		{name: "role 99", call: register(&hmbv1.RegisterRequest{FirstName: "A", Role: 99}), code: inv, message: "role"},
		{name: "sign-up as admin", call: register(&hmbv1.RegisterRequest{FirstName: "A", Role: hmbv1.Role_ROLE_ADMIN}), code: inv, message: "role"},
		{name: "application status 99", ctx: emp, code: inv, message: "status", call: func(ctx context.Context) error {
			_, err := jobs.UpdateApplicationStatus(ctx, &hmbv1.UpdateApplicationStatusRequest{Id: f.application, Status: 99})
			return err
		}},
		{name: "role 42 from an admin", ctx: admin, code: inv, message: "role", call: func(ctx context.Context) error {
			_, err := users.SetUserRole(ctx, &hmbv1.SetUserRoleRequest{Id: b.Rival.User.Id, Role: 42})
			return err
		}},
		{name: "location 1000", ctx: emp, call: updateMe(&hmbv1.User{Location: 1000}, "location"), code: inv, message: "user.location"},

		// Times JSON cannot carry: stored, they would break every REST
		// answer that includes the job.
		{name: "expiry past year 9999", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: &timestamppb.Timestamp{Seconds: 253402300800}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.expire_time"},
		{name: "expiry before year 1", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: &timestamppb.Timestamp{Seconds: math.MinInt64}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.expire_time"},
		{name: "negative nanos", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: &timestamppb.Timestamp{Seconds: time.Now().Unix() + 3600, Nanos: -1}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.expire_time"},
		{name: "output-only time past year 9999", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", UpdateTime: &timestamppb.Timestamp{Seconds: math.MaxInt64}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.update_time"},
		{name: "expiry in year 9999", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: timestamppb.New(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))}),
			code: inv, reason: "INVALID_JOB_EXPIRE_TIME", message: "2 years"},

		// Huge messages.
		{name: "message beyond GRPC_MAX_MSG_BYTES", ctx: emp, code: codes.ResourceExhausted, message: "larger than max",
			call: createJob(&hmbv1.Job{Title: "Chef", Description: strings.Repeat("d", 5<<20)})},
		{name: "100,000-character title", ctx: emp, call: createJob(&hmbv1.Job{Title: strings.Repeat("t", 100_000)}), code: inv, message: "job.title"},
		{name: "10,000-character search", call: listJobs(&hmbv1.ListJobsRequest{Q: strings.Repeat("q", 10_000)}), code: inv, message: "q"},

		// SQL metacharacters are text.
		{name: "SQL in q", code: codes.OK, call: func(ctx context.Context) error {
			resp, err := jobs.ListJobs(ctx, &hmbv1.ListJobsRequest{Q: "' OR 1=1 --"})
			if err == nil && len(resp.Jobs) != 0 {
				return fmt.Errorf("matched %d jobs", len(resp.Jobs))
			}
			return err
		}},
		{name: "percent in a talent search", ctx: emp, code: codes.OK, call: func(ctx context.Context) error {
			resp, err := users.ListUsers(ctx, &hmbv1.ListUsersRequest{Q: "%", Skill: "_"})
			if err == nil && len(resp.Users) != 0 {
				return fmt.Errorf("matched %d users", len(resp.Users))
			}
			return err
		}},
		{name: "SQL as a sign-in email", code: unauth, reason: "INVALID_CREDENTIALS", message: "email or password", call: func(ctx context.Context) error {
			_, err := authn.Login(ctx, &hmbv1.LoginRequest{Email: "' OR 1=1 --", Password: "' OR 1=1 --"})
			return err
		}},
		{name: "refresh without a token", code: unauth, reason: "REFRESH_TOKEN_MISSING", message: "no refresh token was sent", call: func(ctx context.Context) error {
			_, err := authn.Refresh(ctx, &hmbv1.RefreshRequest{})
			return err
		}},

		// Unknown fields are skipped, as protobuf intends: a newer client
		// may send fields this server does not know yet.
		{name: "unknown field", code: codes.OK, call: func(ctx context.Context) error {
			return b.Conn.Invoke(ctx, hmbv1.JobService_GetJobStats_FullMethodName, rawMessage(field(99, []byte("future"))), &hmbv1.JobStats{})
		}},
	}
}

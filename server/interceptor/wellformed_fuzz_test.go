package interceptor

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
)

// FuzzRequestDecoding feeds arbitrary bytes to the server's codec as
// requests of several kinds. It never fails the call outright (grpc-go
// would answer INTERNAL); a message that does not decode is left empty and
// refused as INVALID_ARGUMENT, naming a real string field when one is not
// UTF-8; one that decodes is what the protobuf library makes of it.
func FuzzRequestDecoding(f *testing.F) {
	codec := RequestCodec{encoding.GetCodecV2(grpcproto.Name)}
	for _, m := range []proto.Message{
		&hmbv1.ListJobsRequest{Q: "chef", Island: []hmbv1.Island{1, 2}, PageSize: 5},
		&hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Chef", Skills: []string{"a", "b"}, Salary: &hmbv1.Salary{Min: 1}}},
		&hmbv1.UpdateMeRequest{User: &hmbv1.User{Skills: []string{"Go"}}},
	} {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	f.Add([]byte("\x0a\x02\xc3\x28"))
	f.Add([]byte("\x0a\x06\x72\x04\x43\x68\x65\xff"))
	f.Add([]byte("\x0a\x0b\x5a\x02Go\x5a\x03\xe2\x82\x28"))
	f.Add([]byte{0x0a, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, newMessage := range []func() proto.Message{
			func() proto.Message { return new(hmbv1.ListJobsRequest) },
			func() proto.Message { return new(hmbv1.CreateJobRequest) },
			func() proto.Message { return new(hmbv1.UpdateMeRequest) },
			func() proto.Message { return new(hmbv1.LoginRequest) },
		} {
			m, want := newMessage(), newMessage()
			wantErr := proto.Unmarshal(b, want)
			if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bytes.Clone(b))}, m); err != nil {
				t.Fatalf("codec.Unmarshal failed the call: %v", err)
			}
			refused, noted := undecoded.LoadAndDelete(m)
			if wantErr == nil {
				if noted || !proto.Equal(m, want) {
					t.Fatalf("%x decoded to %v, noted %v; the protobuf library makes %v", b, m, refused, want)
				}
				continue
			}
			if !noted || proto.Size(m) != 0 {
				t.Fatalf("%x does not decode (%v), but the codec noted %v and left %v", b, wantErr, refused, m)
			}
			st := status.Convert(refused.(error))
			reason := rpc.ReasonOf(st)
			if st.Code() != codes.InvalidArgument || reason != "INVALID_UTF8" && reason != "MALFORMED_REQUEST" {
				t.Fatalf("refused with %v (%s)", st.Err(), reason)
			}
			if strings.Contains(wantErr.Error(), "invalid UTF-8") != (reason == "INVALID_UTF8") {
				t.Fatalf("the library says %v; refused as %s", wantErr, reason)
			}
			if reason == "INVALID_UTF8" {
				checkStringPath(t, m.ProtoReflect().Descriptor(), strings.TrimSuffix(st.Message(), notUTF8))
			}
		}
	})
}

// checkStringPath fails unless path (job.skills[2]) names a string field of
// md.
func checkStringPath(t *testing.T, md protoreflect.MessageDescriptor, path string) {
	t.Helper()
	parts := strings.Split(path, ".")
	for i, part := range parts {
		name, _, _ := strings.Cut(part, "[")
		fd := md.Fields().ByName(protoreflect.Name(name))
		switch {
		case fd == nil:
			t.Fatalf("%q names no field of %s", path, md.FullName())
		case i == len(parts)-1:
			if fd.Kind() != protoreflect.StringKind {
				t.Fatalf("%q is not a string field", path)
			}
		default:
			md = fd.Message()
			if md == nil {
				t.Fatalf("%q goes through %s, which is not a message", path, name)
			}
		}
	}
}

package interceptor

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/server/rpc"
)

// Requests the service cannot read are refused as INVALID_ARGUMENT, saying
// what is wrong and where, before a handler or the database sees them:
//   - REST bodies that are not JSON, or not the JSON of the request (the
//     gateway's body decoder);
//   - strings that are not UTF-8, or that hold NUL, which PostgreSQL cannot
//     store (REST query and path parameters can carry both; gRPC, NUL);
//   - gRPC Timestamps outside what RFC 3339 (and so REST) can express;
//   - gRPC messages that do not decode, which grpc-go itself answers with
//     INTERNAL before any interceptor runs.

// notUTF8 ends the message about a string that is not UTF-8, on either
// transport.
const notUTF8 = ": must be valid UTF-8"

// checkStorable refuses a request with a value that could be stored but not
// served again: a string that is not UTF-8 or holds NUL, a Timestamp that
// JSON cannot carry. It names the field as protovalidate does
// (job.skills[2]).
func checkStorable(m protoreflect.Message, prefix string) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = checkStorableValue(fd, l.Get(i), path+"["+strconv.Itoa(i)+"]")
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if err = checkStorableValue(fd.MapKey(), k.Value(), path+".key"); err == nil {
					err = checkStorableValue(fd.MapValue(), mv, path+".value")
				}
				return err == nil
			})
		default:
			err = checkStorableValue(fd, v, path)
		}
		return err == nil
	})
	return err
}

func checkStorableValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) error {
	switch fd.Kind() {
	case protoreflect.StringKind:
		s := v.String()
		if !utf8.ValidString(s) {
			return &domain.Error{Kind: domain.ErrInvalid, Reason: "INVALID_UTF8", Message: path + notUTF8}
		}
		if strings.IndexByte(s, 0) >= 0 {
			return &domain.Error{Kind: domain.ErrInvalid, Reason: "NUL_CHARACTER", Message: path + ": must not contain NUL characters"}
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if ts, ok := v.Message().Interface().(*timestamppb.Timestamp); ok {
			return checkTimestamp(ts, path)
		}
		return checkStorable(v.Message(), path+".")
	}
	return nil
}

// checkTimestamp refuses a Timestamp that JSON cannot carry: RFC 3339 ends
// at years 0001 and 9999, and protojson refuses to write anything beyond.
// Stored, such a time would break every REST answer that includes it.
func checkTimestamp(ts *timestamppb.Timestamp, path string) error {
	if err := ts.CheckValid(); err != nil {
		return &domain.Error{Kind: domain.ErrInvalid, Reason: "INVALID_TIMESTAMP",
			Message: path + ": must be a time from 0001-01-01 to 9999-12-31 (RFC 3339), with nanos from 0 to 999,999,999"}
	}
	return nil
}

// undecoded holds, for each request message the codec could not decode,
// the error to answer with, until the interceptor chain or stream wrapper
// that receives the message takes it, on the same goroutine.
var undecoded sync.Map // proto.Message → error

// wellFormedUnary refuses requests that did not decode or whose strings
// PostgreSQL cannot take. Nothing before it in the chain may end a call, so
// that every entry RequestCodec leaves in undecoded is taken.
func wellFormedUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if refused, ok := undecoded.LoadAndDelete(req); ok {
		return nil, refused.(error)
	}
	if m, ok := req.(proto.Message); ok {
		if err := checkStorable(m.ProtoReflect(), ""); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

// wellFormedStream does the same for each message a stream receives.
func wellFormedStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, wellFormedServerStream{ss})
}

type wellFormedServerStream struct{ grpc.ServerStream }

func (s wellFormedServerStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if refused, ok := undecoded.LoadAndDelete(m); ok {
		return refused.(error)
	}
	if pm, ok := m.(proto.Message); ok && err == nil {
		return checkStorable(pm.ProtoReflect(), "")
	}
	return err
}

// RequestCodec is the proto codec for requests. A request that does not
// decode is not an error here: grpc-go would answer it at once with
// INTERNAL, as if the server were at fault, before any interceptor runs.
// Instead the message is left empty and the refusal noted in undecoded, for
// the chain to answer INVALID_ARGUMENT with a request id and a log line. A
// string that is not UTF-8, which proto3 requires, is named.
type RequestCodec struct{ encoding.CodecV2 }

func (c RequestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	refused := rpc.WithReason(codes.InvalidArgument, "MALFORMED_REQUEST", "the request message could not be decoded: "+rpc.Clip(err.Error()))
	if path, _ := invalidUTF8Field(data.Materialize(), m.ProtoReflect().Descriptor(), ""); path != "" {
		refused = rpc.WithReason(codes.InvalidArgument, "INVALID_UTF8", rpc.Clip(path)+notUTF8)
	}
	proto.Reset(m)
	undecoded.Store(m, refused.Err())
	return nil
}

// invalidUTF8Field names the first string field of the wire-format message
// b, of type md, that is not UTF-8. It returns "" if there is none, and
// false too if b stops being well-formed first: then that is what is wrong.
func invalidUTF8Field(b []byte, md protoreflect.MessageDescriptor, prefix string) (path string, wellFormed bool) {
	seen := map[protowire.Number]int{} // elements of repeated fields so far
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		// ConsumeTag takes field numbers past 2^29-1, which the library
		// refuses as malformed.
		if n < 0 || !num.IsValid() {
			return "", false
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", false
		}
		value := b[:n]
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if fd == nil || typ != protowire.BytesType {
			continue
		}
		path := prefix + string(fd.Name())
		if fd.IsList() {
			path += "[" + strconv.Itoa(seen[num]) + "]"
			seen[num]++
		}
		v, _ := protowire.ConsumeBytes(value)
		switch {
		case fd.IsList() && !packedWellFormed(fd.Kind(), v):
			return "", false
		case fd.Kind() == protoreflect.StringKind && !utf8.Valid(v):
			return path, true
		case fd.Message() != nil:
			if inner, ok := invalidUTF8Field(v, fd.Message(), path+"."); inner != "" || !ok {
				return inner, ok
			}
		}
	}
	return "", true
}

// packedWellFormed reports whether v reads as the packed values of a
// repeated scalar of kind, as the library reads them; any other kind has
// nothing packed to check.
func packedWellFormed(kind protoreflect.Kind, v []byte) bool {
	var consume func([]byte) int
	switch kind {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Int64Kind,
		protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		consume = func(b []byte) int { _, n := protowire.ConsumeVarint(b); return n }
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		consume = func(b []byte) int { _, n := protowire.ConsumeFixed32(b); return n }
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		consume = func(b []byte) int { _, n := protowire.ConsumeFixed64(b); return n }
	default:
		return true
	}
	for len(v) > 0 {
		n := consume(v)
		if n < 0 {
			return false
		}
		v = v[n:]
	}
	return true
}

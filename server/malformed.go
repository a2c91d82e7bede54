package server

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hiremebahamas/api/domain"
)

// Requests the service cannot read are refused as INVALID_ARGUMENT, saying
// what is wrong and where, before a handler or the database sees them:
//   - strings that are not UTF-8, or that hold NUL, which PostgreSQL cannot
//     store (REST query and path parameters can carry both; gRPC, NUL).

// notUTF8 ends the message about a string that is not UTF-8, on either
// transport.
const notUTF8 = ": must be valid UTF-8"

// checkText refuses a request with a string that is not UTF-8 or holds NUL,
// naming the field as protovalidate does (job.skills[2]).
func checkText(m protoreflect.Message, prefix string) error {
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = checkTextValue(fd, l.Get(i), path+"["+strconv.Itoa(i)+"]")
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if err = checkTextValue(fd.MapKey(), k.Value(), path+".key"); err == nil {
					err = checkTextValue(fd.MapValue(), mv, path+".value")
				}
				return err == nil
			})
		default:
			err = checkTextValue(fd, v, path)
		}
		return err == nil
	})
	return err
}

func checkTextValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) error {
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
		return checkText(v.Message(), path+".")
	}
	return nil
}

// wellFormedUnary refuses requests whose strings PostgreSQL cannot take.
func wellFormedUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if err := checkText(m.ProtoReflect(), ""); err != nil {
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
	if pm, ok := m.(proto.Message); ok && err == nil {
		return checkText(pm.ProtoReflect(), "")
	}
	return err
}

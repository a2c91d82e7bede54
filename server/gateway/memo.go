package gateway

import (
	"bytes"
	"context"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	"github.com/hiremebahamas/api/server/rpc"
)

// The encodings of a shared answer, kept in its rpc.Memo: its JSON, made
// by the gateway's marshaler; the ETag of that JSON; and the JSON
// compressed in each coding, named by the coding.
const (
	jsonForm = "json"
	etagForm = "etag"
)

// formsOf returns the ETag and the compressed form in coding ("" for none)
// of body, if body is the shared answer's JSON; ok is false otherwise.
func formsOf(memo *rpc.Memo, body []byte, coding string) (tag string, coded []byte, ok bool) {
	if !memo.Holds(jsonForm, body) {
		return "", nil, false
	}
	t, _ := memo.Get(etagForm, func() ([]byte, error) { return []byte(entityTag(body)), nil })
	if coding == "" {
		return string(t), nil, true
	}
	c, err := memo.Get(coding, func() ([]byte, error) {
		var buf bytes.Buffer
		err := compress(&buf, coding, body)
		return buf.Bytes(), err
	})
	if err != nil {
		return "", nil, false
	}
	return string(t), c, true
}

// encoded stands, for the gateway's marshaler, for a shared answer whose
// JSON is remembered.
type encoded struct{ *rpc.SharedAnswer }

// reuseEncoding is the gateway's response rewriter: an answer the service
// shared is encoded once.
func reuseEncoding(ctx context.Context, resp proto.Message) (any, error) {
	if a := sharedReply(ctx); a != nil {
		return encoded{a}, nil
	}
	return resp, nil
}

// memoMarshaler encodes as its Marshaler does, and a shared answer once.
type memoMarshaler struct{ gwruntime.Marshaler }

func (m memoMarshaler) Marshal(v any) ([]byte, error) {
	e, ok := v.(encoded)
	if !ok {
		return m.Marshaler.Marshal(v)
	}
	return e.Memo.Get(jsonForm, func() ([]byte, error) { return m.Marshaler.Marshal(e.Msg) })
}

// ContentType is that of the answer encoded.
func (m memoMarshaler) ContentType(v any) string {
	if e, ok := v.(encoded); ok {
		v = e.Msg
	}
	return m.Marshaler.ContentType(v)
}

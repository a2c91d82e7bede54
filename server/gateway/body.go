package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// jsonBody decodes REST request bodies. The gateway's own decoder passes
// encoding/json's syntax errors on bare ("unexpected EOF"); this one says
// they are the body's, and where.
type jsonBody struct{ gwruntime.Marshaler }

func (m jsonBody) NewDecoder(r io.Reader) gwruntime.Decoder {
	return gwruntime.DecoderFunc(func(v any) error { return m.decode(r, v) })
}

func (m jsonBody) decode(r io.Reader, v any) error {
	b, err := io.ReadAll(r) // bounded by the middleware's body limit
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return io.EOF // no body: the gateway leaves the request empty
	}
	var syntax *json.SyntaxError
	if err := json.Unmarshal(b, new(json.RawMessage)); errors.As(err, &syntax) {
		if strings.HasSuffix(syntax.Error(), "exceeded max depth") {
			return fmt.Errorf("%snested more than 10000 levels deep (at byte %d)", invalidBody, syntax.Offset)
		}
		return fmt.Errorf("%snot JSON: %s (at byte %d)", invalidBody, syntax, syntax.Offset)
	}
	msg := messageIn(v)
	if msg == nil {
		return m.Marshaler.NewDecoder(bytes.NewReader(b)).Decode(v)
	}
	// Unknown fields are refused, so that a misspelt one is never
	// silently ignored.
	if err := protojson.Unmarshal(b, msg); err != nil {
		return errors.New(decodeErrorMessage(err.Error()))
	}
	return nil
}

var messageType = reflect.TypeFor[proto.Message]()

// messageIn returns the message a body decodes into: v itself, or, for a
// body bound to one field (body: "job"), the message that field points to,
// created if need be.
func messageIn(v any) proto.Message {
	if m, ok := v.(proto.Message); ok {
		return m
	}
	p := reflect.ValueOf(v)
	if p.Kind() != reflect.Pointer || p.IsNil() || !p.Type().Elem().Implements(messageType) {
		return nil
	}
	field := p.Elem()
	if field.Kind() != reflect.Pointer {
		return nil
	}
	if field.IsNil() {
		field.Set(reflect.New(field.Type().Elem()))
	}
	return field.Interface().(proto.Message)
}

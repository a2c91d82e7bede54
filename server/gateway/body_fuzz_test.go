package gateway

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// FuzzRESTBody feeds arbitrary bytes to the REST body decoder, into a
// field-bound body (CreateJob's job) and a whole-request one. Nothing
// panics; an empty body is an empty request; a refusal is the message
// writeStatus turns into 400 INVALID_JSON, bounded in length; what decodes
// survives a JSON round trip unchanged.
func FuzzRESTBody(f *testing.F) {
	body := jsonBody{Marshaler: &gwruntime.JSONPb{}}
	f.Add([]byte(`{"title":"Chef","category":"JOB_CATEGORY_HOSPITALITY","salary":{"min":1,"period":"SALARY_PERIOD_YEARLY"},"skills":["a"]}`))
	f.Add([]byte(`{"job_id":"x","coverLetter":"Hi","resume_url":"https://example.com/cv.pdf"}`))
	f.Add([]byte(`{"title":`))
	f.Add([]byte(`{"title":"\udc00"}`))
	f.Add([]byte("{\"title\":\"\xff\"}"))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte(`{"expire_time":"2026-13-01T00:00:00Z","salary":{"min":"NaN"}}`))
	f.Add([]byte(" \n\t "))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var job *hmbv1.Job
		var apply hmbv1.ApplyToJobRequest
		for _, target := range []struct {
			v   any
			got func() proto.Message
		}{
			{&job, func() proto.Message { return job }},
			{&apply, func() proto.Message { return &apply }},
		} {
			err := body.NewDecoder(bytes.NewReader(b)).Decode(target.v)
			switch {
			case len(bytes.TrimSpace(b)) == 0:
				if !errors.Is(err, io.EOF) {
					t.Fatalf("empty body: %v; want io.EOF, an empty request", err)
				}
			case err != nil:
				if m := err.Error(); !strings.HasPrefix(m, invalidBody) || len(m) > len(invalidBody)+260 {
					t.Fatalf("refused with %q; want a bounded message starting %q", m, invalidBody)
				}
			default:
				m := target.got()
				again := m.ProtoReflect().New().Interface()
				out, err := protojson.Marshal(m)
				if err == nil {
					err = protojson.Unmarshal(out, again)
				}
				if err != nil || !proto.Equal(m, again) {
					t.Fatalf("%q decoded to %v, which does not survive a round trip (%s, %v)", b, m, out, err)
				}
			}
		}
	})
}

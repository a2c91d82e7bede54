package gateway

import (
	"strings"
	"testing"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
)

func TestMemoMarshalerEncodesSharedAnswersOnce(t *testing.T) {
	inner := &countingMarshaler{Marshaler: &gwruntime.JSONPb{}}
	m := memoMarshaler{Marshaler: inner}
	job := &hmbv1.Job{Title: "Conch Salad Chef"}
	shared := encoded{&rpc.SharedAnswer{Msg: job, Memo: &rpc.Memo{}}}
	want, err := (&gwruntime.JSONPb{}).Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := m.Marshal(shared)
		if err != nil || string(b) != string(want) {
			t.Fatalf("Marshal: %s, %v; want %s", b, err, want)
		}
	}
	if inner.calls != 1 {
		t.Errorf("encoded %d times; want once", inner.calls)
	}
	// Anything else is encoded each time.
	other := &hmbv1.Job{Title: "Straw Vendor"}
	m.Marshal(other)
	m.Marshal(other)
	if inner.calls != 3 {
		t.Errorf("%d encodings after two plain messages; want 3", inner.calls)
	}
	if ct := m.ContentType(shared); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
}

type countingMarshaler struct {
	gwruntime.Marshaler
	calls int
}

func (c *countingMarshaler) Marshal(v any) ([]byte, error) {
	c.calls++
	return c.Marshaler.Marshal(v)
}

func TestRESTFormsCompressOnce(t *testing.T) {
	job := &hmbv1.Job{Title: "Straw Market Vendor", Description: strings.Repeat("Weave and sell. ", 200)}
	memo := &rpc.Memo{}
	body, err := memo.Get(jsonForm, func() ([]byte, error) { return (&gwruntime.JSONPb{}).Marshal(job) })
	if err != nil {
		t.Fatal(err)
	}
	tag, first, ok := formsOf(memo, body, "gzip")
	if !ok || tag != entityTag(body) || len(first) == 0 || len(first) >= len(body) {
		t.Fatalf("formsOf: %q, %d bytes of %d, %v", tag, len(first), len(body), ok)
	}
	_, again, _ := formsOf(memo, body, "gzip")
	if &again[0] != &first[0] {
		t.Error("compressed twice")
	}
	if _, _, ok := formsOf(memo, []byte(`{"other":true}`), "gzip"); ok {
		t.Error("another body was taken for the remembered one")
	}
}

package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFromVCS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		stamped  string
		settings []debug.BuildSetting
		want     Info
	}{
		{"no version control", "", nil, Info{}},
		{"stamped commit only", "abc123", nil, Info{Commit: "abc123"}},
		{"clean checkout", "", []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0d81969f2a"},
			{Key: "vcs.time", Value: "2026-11-20T10:00:00Z"}, {Key: "vcs.modified", Value: "false"},
		}, Info{Commit: "0d81969f2a", CommitTime: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}},
		{"the toolchain's record wins over a stamp", "stamped", []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0d81969f2a"}, {Key: "vcs.modified", Value: "true"},
		}, Info{Commit: "0d81969f2a", Dirty: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Info{Commit: tc.stamped}
			fromVCS(&got, tc.settings)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Under go test nothing is stamped and no version control is recorded.
func TestReadDefaults(t *testing.T) {
	t.Parallel()
	got := Read()
	want := Info{Version: "dev", GoVersion: runtime.Version()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got.CommitOrUnknown() != "unknown" {
		t.Errorf("CommitOrUnknown() = %q; want unknown", got.CommitOrUnknown())
	}
}

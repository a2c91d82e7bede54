// Package buildinfo says which build of the service is running: the version
// stamped at link time, the commit the Go toolchain recorded, and the Go
// version.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Stamped with -ldflags -X (the Makefile's build and static targets, which
// the Dockerfile runs). commit is only a fallback for builds without version
// control information, such as an image built from a context without .git;
// buildTime is RFC 3339.
var (
	version   = "dev"
	commit    string
	buildTime string
)

// Info describes the running build. Commit is empty and the times are zero
// when unknown.
type Info struct {
	Version    string
	Commit     string
	Dirty      bool // built from a work tree with uncommitted changes
	CommitTime time.Time
	BuildTime  time.Time
	GoVersion  string
}

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	info.BuildTime, _ = time.Parse(time.RFC3339, buildTime)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	fromVCS(&info, bi.Settings)
	return info
}

// fromVCS applies the toolchain's vcs.* settings, which describe the source
// more reliably than anything passed in by hand.
func fromVCS(info *Info, settings []debug.BuildSetting) {
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			info.Dirty = s.Value == "true"
		case "vcs.time":
			info.CommitTime, _ = time.Parse(time.RFC3339, s.Value)
		}
	}
}

// CommitOrUnknown is the commit, or "unknown" when the build recorded none.
func (i Info) CommitOrUnknown() string {
	if i.Commit == "" {
		return "unknown"
	}
	return i.Commit
}

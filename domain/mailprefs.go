package domain

import "slices"

// MailKind names a kind of mail an account may turn off. Mail about the
// account itself (password resets and changes) is not one: it is always
// sent.
type MailKind string

// The kinds of mail an account may turn off.
const (
	MailNewApplications    MailKind = "new_applications"
	MailApplicationUpdates MailKind = "application_updates"
	MailJobAlerts          MailKind = "job_alerts"
)

// MailKinds are every MailKind, in the order they are listed.
var MailKinds = []MailKind{MailNewApplications, MailApplicationUpdates, MailJobAlerts}

// KnownMailKind reports whether k is one of MailKinds.
func KnownMailKind(k MailKind) bool { return slices.Contains(MailKinds, k) }

// MailPreferences say, for each MailKind, whether the account gets it.
type MailPreferences map[MailKind]bool

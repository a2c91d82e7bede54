package domain

// Task is background work that a change causes: the store inserts it in the
// change's own transaction, so that it exists if and only if the change
// commits, and a worker does it afterwards, at least once. Kind names it on
// the queue; the fields are its arguments, stored as JSON.
type Task interface{ Kind() string }

// PasswordResetRequested asks for a reset link to be mailed to Email, if
// an active account has it. The worker decides, so that the request reveals
// nothing about which emails have accounts.
type PasswordResetRequested struct {
	Email string `json:"email"`
}

func (PasswordResetRequested) Kind() string { return "password_reset_requested" }

// PasswordChanged tells the owner of an account that its password was
// changed, in case it was not them.
type PasswordChanged struct {
	UserID string `json:"user_id"`
}

func (PasswordChanged) Kind() string { return "password_changed" }

// PurgeSpentTokens deletes password-reset and email-verification tokens
// long past their expiry.
type PurgeSpentTokens struct{}

func (PurgeSpentTokens) Kind() string { return "purge_spent_tokens" }

// EmailVerificationRequested asks for a link that verifies the email of the
// account UserID to be mailed to it, unless it is verified already.
type EmailVerificationRequested struct {
	UserID string `json:"user_id"`
}

func (EmailVerificationRequested) Kind() string { return "email_verification_requested" }

// ApplicationsReceived asks for the employer to be told of the applications
// to their jobs not yet in a notice. It waits a few minutes, and while it
// waits it is the employer's only one, so that a burst of applications is
// one mail.
type ApplicationsReceived struct {
	EmployerID string `json:"employer_id"`
}

func (ApplicationsReceived) Kind() string { return "applications_received" }

// ApplicationMoved tells the applicant that an employer moved their
// application to Status.
type ApplicationMoved struct {
	ApplicationID string `json:"application_id"`
	Status        string `json:"status"`
}

func (ApplicationMoved) Kind() string { return "application_moved" }

// SweepJobAlerts finds, for every saved search of Frequency with alerts on,
// the open jobs it matches that its owner has not been sent, and queues a
// JobAlertDue for each search that has some.
type SweepJobAlerts struct {
	Frequency string `json:"frequency"`
}

func (SweepJobAlerts) Kind() string { return "sweep_job_alerts" }

// JobAlertDue mails the owner of a saved search the jobs it newly matched.
// The sweep recorded them as sent in the transaction that queued this.
type JobAlertDue struct {
	SearchID string   `json:"search_id"`
	JobIDs   []string `json:"job_ids"`
}

func (JobAlertDue) Kind() string { return "job_alert_due" }

// SweepExpiringJobs queues a JobExpiring for each open job about to expire
// whose employer has not been told of that expiry.
type SweepExpiringJobs struct{}

func (SweepExpiringJobs) Kind() string { return "sweep_expiring_jobs" }

// JobExpiring tells the employer that their open job JobID expires soon.
type JobExpiring struct {
	JobID string `json:"job_id"`
}

func (JobExpiring) Kind() string { return "job_expiring" }

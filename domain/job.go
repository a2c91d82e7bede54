package domain

import "time"

// Job statuses.
const (
	JobDraft  = "DRAFT"
	JobOpen   = "OPEN"
	JobClosed = "CLOSED"
	JobFilled = "FILLED"
)

// Job is a posting. Enumerations are stored by name without their proto
// prefix (HOSPITALITY, FULL_TIME, NEW_PROVIDENCE). Zero times are unset.
type Job struct {
	ID             string
	EmployerID     string
	Company        string
	Title          string
	Description    string
	Requirements   string
	Benefits       string
	Category       string
	EmploymentType string
	Island         string
	Location       string
	Remote         bool
	Salary         Salary
	Skills         []string
	Status         string
	PublishTime    time.Time
	ExpireTime     time.Time
	CreateTime     time.Time
	UpdateTime     time.Time
	Version        int32
}

// Salary is a pay range; Max 0 means no stated maximum.
type Salary struct {
	Min, Max float64
	Currency string
	Period   string
}

// Orders of job lists.
const (
	OrderRelevance = "relevance"
	OrderNewest    = "newest"
	OrderSalary    = "salary"
)

// JobFilter narrows the board. Empty fields do not filter.
type JobFilter struct {
	Query            string
	Islands          []string
	Categories       []string
	EmploymentTypes  []string
	Remote           *bool
	SalaryMin        float64
	PostedWithinDays int
	EmployerID       string
}

// JobCursor is where a page of jobs continues, in the list's order: the
// last job's rank, publish time or salary, and its id.
type JobCursor struct {
	Rank   float32
	Time   time.Time
	Salary float64
	ID     string
}

// JobHit is a listed job with its search rank (0 without a query).
type JobHit struct {
	Job
	Rank float32
}

// JobFacets count matching jobs by enumeration value.
type JobFacets struct {
	Island, Category, EmploymentType map[string]int
}

// JobStats count the board.
type JobStats struct {
	ActiveJobs, CompaniesHiring, NewThisWeek int
}

// Application statuses.
const (
	AppSubmitted = "SUBMITTED"
	AppReviewing = "REVIEWING"
	AppInterview = "INTERVIEW"
	AppOffered   = "OFFERED"
	AppHired     = "HIRED"
	AppRejected  = "REJECTED"
	AppWithdrawn = "WITHDRAWN"
)

// Application is a job seeker's application.
type Application struct {
	ID          string
	JobID       string
	JobTitle    string
	ApplicantID string
	CoverLetter string
	ResumeURL   string
	Status      string
	CreateTime  time.Time
	UpdateTime  time.Time
	// EmployerID owns the job; set where permission checks need it.
	EmployerID string
}

// pipeline lists the moves an employer may make.
var pipeline = map[string][]string{
	AppSubmitted: {AppReviewing, AppRejected},
	AppReviewing: {AppInterview, AppRejected},
	AppInterview: {AppOffered, AppRejected},
	AppOffered:   {AppHired, AppRejected},
}

// CanMove reports whether an employer may move an application from one
// status to another.
func CanMove(from, to string) bool {
	for _, next := range pipeline[from] {
		if next == to {
			return true
		}
	}
	return false
}

// ApplicationOpen reports whether an application is still in the pipeline,
// and so can be withdrawn.
func ApplicationOpen(status string) bool {
	_, ok := pipeline[status]
	return ok
}

// PageCursor is where a page ordered by time and id continues.
type PageCursor struct {
	Time time.Time
	ID   string
}

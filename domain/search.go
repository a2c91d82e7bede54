package domain

import (
	"strconv"
	"strings"
	"time"
)

// Alert frequencies of a saved search.
const (
	AlertInstant = "INSTANT"
	AlertDaily   = "DAILY"
	AlertWeekly  = "WEEKLY"
)

// MaxSavedSearches is how many searches one user may keep.
const MaxSavedSearches = 20

// SavedSearch is a user's saved board filter and how often its new jobs
// are mailed. Filter uses only what a search keeps of ListJobs: no
// employer, no posted-within.
type SavedSearch struct {
	ID           string
	UserID       string
	Filter       JobFilter
	Frequency    string
	AlertsPaused bool
	CreateTime   time.Time
	UpdateTime   time.Time
}

// Describe says in words what f looks for, as an alert mail names it.
func (f JobFilter) Describe() string {
	var parts []string
	if f.Query != "" {
		parts = append(parts, strconv.Quote(f.Query))
	}
	for _, list := range [][]string{f.Islands, f.Categories, f.EmploymentTypes} {
		if len(list) > 0 {
			words := make([]string, len(list))
			for i, v := range list {
				words[i] = enumWords(v)
			}
			parts = append(parts, strings.Join(words, " or "))
		}
	}
	if f.Remote != nil {
		parts = append(parts, map[bool]string{true: "remote", false: "on site"}[*f.Remote])
	}
	if f.SalaryMin > 0 {
		parts = append(parts, "paying "+strconv.FormatFloat(f.SalaryMin, 'f', -1, 64)+" or more")
	}
	if len(parts) == 0 {
		return "all jobs"
	}
	return strings.Join(parts, ", ")
}

// enumWords turns a stored enumeration name (NEW_PROVIDENCE) into words
// (New Providence).
func enumWords(name string) string {
	words := strings.Split(strings.ToLower(name), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// Package layout holds the test that keeps the arrows between packages
// pointing the way ARCHITECTURE.md draws them.
package layout

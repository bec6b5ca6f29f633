package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type classified bool

func (c classified) Error() string   { return fmt.Sprintf("classified %v", bool(c)) }
func (c classified) Retryable() bool { return bool(c) }

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unclassified", errors.New("connection reset"), true},
		{"deadline", context.DeadlineExceeded, true},
		{"canceled", context.Canceled, true},
		{"permanent", classified(false), false},
		{"transient", classified(true), true},
		{"wrapped permanent", fmt.Errorf("job: %w", classified(false)), false},
		{"outermost classification wins", fmt.Errorf("%w: %w", classified(true), classified(false)), true},
		{"joined", errors.Join(errors.New("x"), classified(false)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retryable(tt.err); got != tt.want {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

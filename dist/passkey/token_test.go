package passkey

import (
	"strings"
	"testing"
)

func TestValidToken(t *testing.T) {
	tests := []struct {
		name, token string
		ok          bool
	}{
		{"22 characters", strings.Repeat("a", 22), true},
		{"base64url alphabet", "AZaz09_-AZaz09_-AZaz09_-", true},
		{"128 characters", strings.Repeat("Z", 128), true},
		{"empty", "", false},
		{"21 characters", strings.Repeat("a", 21), false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"plus", strings.Repeat("a", 22) + "+", false},
		{"slash", strings.Repeat("a", 22) + "/", false},
		{"padding", strings.Repeat("a", 22) + "=", false},
		{"space", strings.Repeat("a", 22) + " ", false},
		{"percent escape", strings.Repeat("a", 22) + "%41", false},
		{"non-ASCII", strings.Repeat("a", 22) + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Valid(tt.token)
			if (err == nil) != tt.ok {
				t.Fatalf("Valid(%q) = %v, want ok %v", tt.token, err, tt.ok)
			}
			if err != nil && len(tt.token) >= minTokenLen && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q repeats the token, a secret", err)
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New()
	if err := Valid(a); err != nil || len(a) != 32 {
		t.Errorf("New() = %q (%d characters): %v; want 32 valid characters", a, len(a), err)
	}
	if a == b {
		t.Errorf("two New calls gave %q", a)
	}
}

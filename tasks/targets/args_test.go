package targets

import (
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		rest, words []string
	}{
		{
			name:  "arguments moved out",
			args:  []string{"mage", "murder:peer", "tag=Deploy1", "destination_path=/srv/app"},
			rest:  []string{"mage", "murder:peer"},
			words: []string{"tag=Deploy1", "destination_path=/srv/app"},
		},
		{
			name: "underscored target renamed",
			args: []string{"mage", "murder:start_tracker"},
			rest: []string{"mage", "murder:starttracker"},
		},
		{
			name:  "mage flags untouched",
			args:  []string{"mage", "-v", "-t", "5m", "murder:clean_temp_files", "tag=T"},
			rest:  []string{"mage", "-v", "-t", "5m", "murder:cleantempfiles"},
			words: []string{"tag=T"},
		},
		{
			name: "flag with a colon and underscore untouched",
			args: []string{"mage", "-gocmd=go_1:x", "murder:stop_all_peering"},
			rest: []string{"mage", "-gocmd=go_1:x", "murder:stopallpeering"},
		},
		{
			name:  "values keep spaces, quotes and equals signs",
			args:  []string{"mage", "murder:create_torrent", "files_path=/srv/my build", "tag=a=b", "hosts=w01,w02"},
			rest:  []string{"mage", "murder:createtorrent"},
			words: []string{"files_path=/srv/my build", "tag=a=b", "hosts=w01,w02"},
		},
		{
			name:  "typo still reaches ParseArgs",
			args:  []string{"mage", "murder:peer", "destinaton_path=/srv"},
			rest:  []string{"mage", "murder:peer"},
			words: []string{"destinaton_path=/srv"},
		},
		{
			name: "not argument words",
			args: []string{"mage", "demo", "Tag=x", "=x", "9x=1"},
			rest: []string{"mage", "demo", "Tag=x", "=x", "9x=1"},
		},
		{name: "program only", args: []string{"mage"}, rest: []string{"mage"}},
		{name: "empty", args: nil, rest: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rest, words := splitArgs(tt.args)
			if !slices.Equal(rest, tt.rest) || !slices.Equal(words, tt.words) {
				t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", tt.args, rest, words, tt.rest, tt.words)
			}
		})
	}
}

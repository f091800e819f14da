package tracker

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeTLSAndPlain: one port answers https (murder's own announce URLs)
// and plain http (other clients' torrents), and a client that connects
// and says nothing holds up neither.
func TestServeTLSAndPlain(t *testing.T) {
	conf, err := SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{AdminToken: testAdminToken, TLS: conf})
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, s) // http://127.0.0.1:PORT
	silent, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, url := range []string{base + "/status", "https://" + strings.TrimPrefix(base, "http://") + "/status"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := insecure.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "swarms") {
			t.Errorf("GET %s: %s %s", url, resp.Status, body)
		}
		if strings.HasPrefix(url, "https") && resp.TLS == nil {
			t.Errorf("GET %s was not over TLS", url)
		}
	}
}

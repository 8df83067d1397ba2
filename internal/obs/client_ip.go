package obs

import (
	"context"
	"net"
	"net/http"
	"strings"
)

type clientIPKey struct{}

// ClientIPMiddleware records the caller's address for rate limits: the connection's remote
// host, or, when trustProxy is set (TRUST_PROXY_HEADERS), the first address of
// X-Forwarded-For that a trusted reverse proxy put there.
func ClientIPMiddleware(trustProxy bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := remoteHost(r.RemoteAddr)
			if trustProxy {
				if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
					first, _, _ := strings.Cut(fwd, ",")
					if parsed := net.ParseIP(strings.TrimSpace(first)); parsed != nil {
						ip = parsed.String()
					}
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, ip)))
		})
	}
}

// ClientIP returns the caller's address recorded by ClientIPMiddleware, or "" outside a request.
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

func remoteHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

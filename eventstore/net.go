package eventstore

import (
	"net"
	"strconv"
)

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, invalidf("listen address %q: %v", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, invalidf("listen address %q: bad port", addr)
	}
	return host, port, nil
}

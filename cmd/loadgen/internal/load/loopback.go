package load

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// CheckTarget accepts an http:// or https:// base URL on this machine
// only: a loopback address (127.0.0.0/8, ::1) or localhost. It returns the
// URL without a trailing slash.
func CheckTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not a base URL such as http://127.0.0.1:8080", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: give a base URL without a query or fragment", raw)
	}
	host := u.Hostname()
	if !loopbackHost(host) {
		return "", fmt.Errorf("refusing %s: loadgen only loads this machine, and %q is not a loopback address (127.0.0.0/8, ::1) or localhost", raw, host)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly is a dialer's Control: even if localhost resolved
// elsewhere, no connection leaves the machine.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
	}
	return nil
}

// dialLoopback dials like net.Dialer, loopback addresses only.
func dialLoopback() func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Control: loopbackOnly}
	return d.DialContext
}

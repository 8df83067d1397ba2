package eventbus

// Permanent marks a failure that retrying the same event cannot fix: a webhook receiver
// answering 4xx other than 408 and 429, an envelope that cannot be built, an event type that
// is not a valid NATS subject. Transports return it wrapped; find it with errors.As. Because
// Bus.Publish and the http transport join the failures of several destinations, errors.As can
// find a Permanent next to a transient failure: use IsPermanent to ask whether every failure
// is permanent.
type Permanent struct {
	// Err is the failure.
	Err error
}

// Error returns the message of the wrapped failure.
func (p *Permanent) Error() string { return "permanent: " + p.Err.Error() }

// Unwrap returns the wrapped failure.
func (p *Permanent) Unwrap() error { return p.Err }

// permanent wraps err in a Permanent.
func permanent(err error) error { return &Permanent{Err: err} }

// IsPermanent reports whether err is non-nil and every failure joined in it (errors.Join,
// possibly nested and wrapped) is a Permanent, so that retrying would only repeat them.
func IsPermanent(err error) bool {
	switch u := err.(type) {
	case nil:
		return false
	case *Permanent:
		return true
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		for _, e := range errs {
			if !IsPermanent(e) {
				return false
			}
		}
		return len(errs) > 0
	case interface{ Unwrap() error }:
		return IsPermanent(u.Unwrap())
	}
	return false
}

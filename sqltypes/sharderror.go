package sqltypes

import "errors"

// ShardError says which shard an error came from, so the gate can name the
// shard in the message without parsing it back out of the text. It keeps
// the wrapped error's SQLSTATE reachable through errors.As.
type ShardError struct {
	Shard string
	Err   error
}

func (e *ShardError) Error() string { return "shard " + e.Shard + ": " + e.Err.Error() }
func (e *ShardError) Unwrap() error { return e.Err }

// InShard tags err with the shard it came from; nil stays nil, and an error
// already tagged keeps its (innermost, most precise) shard.
func InShard(shard string, err error) error {
	if err == nil || ShardOf(err) != "" {
		return err
	}
	return &ShardError{Shard: shard, Err: err}
}

// ShardOf is the shard err was tagged with by InShard, or "".
func ShardOf(err error) string {
	var se *ShardError
	if errors.As(err, &se) {
		return se.Shard
	}
	return ""
}

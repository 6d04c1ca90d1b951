package proxy

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// A SCRAM verifier is a password as PostgreSQL stores it in pg_authid:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64. The
// gate authenticates a client from it without knowing the password.
const verifierPrefix = scramMechanism + "$"

// IsVerifier reports whether a configured password is a SCRAM verifier.
func IsVerifier(pw string) bool { return strings.HasPrefix(pw, verifierPrefix) }

// ParseVerifier reads a SCRAM-SHA-256 verifier.
func ParseVerifier(v string) (*scramKeys, error) {
	rest, ok := strings.CutPrefix(v, verifierPrefix)
	if !ok {
		return nil, fmt.Errorf("not a SCRAM-SHA-256 verifier (want %s<iterations>:<salt>$<StoredKey>:<ServerKey>)", verifierPrefix)
	}
	params, keys, ok := strings.Cut(rest, "$")
	iter, salt, ok1 := strings.Cut(params, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok || !ok1 || !ok2 {
		return nil, fmt.Errorf("malformed SCRAM verifier (want %s<iterations>:<salt>$<StoredKey>:<ServerKey>)", verifierPrefix)
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < 1 || n > 1<<24 {
		return nil, fmt.Errorf("malformed SCRAM verifier: iteration count %q", iter)
	}
	k := &scramKeys{iterations: n, known: true}
	for _, f := range []struct {
		name string
		text string
		dst  *[]byte
		size int
	}{{"salt", salt, &k.salt, 0}, {"StoredKey", stored, &k.storedKey, sha256.Size}, {"ServerKey", server, &k.serverKey, sha256.Size}} {
		b, err := base64.StdEncoding.DecodeString(f.text)
		if err != nil || len(b) == 0 || f.size != 0 && len(b) != f.size {
			return nil, fmt.Errorf("malformed SCRAM verifier: %s is not base64 of the right length", f.name)
		}
		*f.dst = b
	}
	return k, nil
}

// NewVerifier makes the SCRAM-SHA-256 verifier of a password with a random
// salt, as `vitess passwd` prints it and PostgreSQL would store it.
func NewVerifier(password string) string {
	salt := make([]byte, scramSaltLen)
	_, _ = rand.Read(salt)
	k := deriveKeys(password, salt, scramIterations)
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s%d:%s$%s:%s", verifierPrefix, k.iterations, enc(k.salt), enc(k.storedKey), enc(k.serverKey))
}

// deriveKeys computes a password's SCRAM keys (RFC 5802).
func deriveKeys(password string, salt []byte, iterations int) *scramKeys {
	salted, err := pbkdf2.Key(sha256.New, saslPrep(password), salt, iterations, sha256.Size)
	if err != nil {
		panic(err) // only for invalid parameters, which are checked
	}
	stored := sha256.Sum256(hmacSHA256(salted, "Client Key"))
	return &scramKeys{salt: salt, iterations: iterations, storedKey: stored[:], serverKey: hmacSHA256(salted, "Server Key"), known: true}
}

// checkPassword compares a cleartext password with the configured one: a
// verifier by deriving the password's StoredKey with its salt.
func checkPassword(given, configured string) bool {
	if !IsVerifier(configured) {
		return subtle.ConstantTimeCompare([]byte(given), []byte(configured)) == 1
	}
	k, err := ParseVerifier(configured)
	if err != nil {
		return false
	}
	got := deriveKeys(given, k.salt, k.iterations)
	return subtle.ConstantTimeCompare(got.storedKey, k.storedKey) == 1
}

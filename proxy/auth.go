package proxy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"golang.org/x/text/secure/precis"

	"github.com/dotdo/vitess/sqltypes"
)

// Authentication methods for Config.AuthMethod.
const (
	AuthSCRAM     = "scram-sha-256"
	AuthCleartext = "password"
)

const (
	scramMechanism     = "SCRAM-SHA-256"
	scramPlusMechanism = "SCRAM-SHA-256-PLUS"
	scramIterations    = 4096
	scramSaltLen       = 16
)

// errAuthClosed means the client went away during authentication (psql does
// this to prompt for a password); nothing is sent back.
var errAuthClosed = errors.New("client closed the connection during authentication")

func errAuthFailed(user string) error {
	return sqltypes.Errorf(sqltypes.InvalidPassword, "password authentication failed for user %q", user)
}

func errMalformedSCRAM(what string) error {
	return sqltypes.Errorf(sqltypes.ProtocolViolation, "malformed SCRAM message (%s)", what)
}

// authenticate runs the authentication exchange for user and, when it
// succeeds, sends AuthenticationOk. An error is to be sent as FATAL (except
// errAuthClosed).
func (c *conn) authenticate(user string) error {
	cfg := &c.srv.cfg
	if len(cfg.Users) > 0 {
		var err error
		if cfg.AuthMethod == AuthCleartext {
			err = c.authCleartext(user)
		} else {
			err = c.authSCRAM(user)
		}
		if err != nil {
			return err
		}
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	return nil
}

// receiveAuth reads the client's next authentication message, parsed as the
// authType exchange expects.
func (c *conn) receiveAuth(authType uint32) (pgproto3.FrontendMessage, error) {
	if err := c.be.Flush(); err != nil {
		return nil, errAuthClosed
	}
	if err := c.be.SetAuthType(authType); err != nil {
		return nil, err
	}
	msg, err := c.be.Receive()
	if err != nil {
		var tooBig *pgproto3.ExceededMaxBodyLenErr
		if errors.As(err, &tooBig) {
			// Refused from its length alone, before its body is read.
			return nil, sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid message length: authentication message of %d bytes exceeds the maximum of %d", tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, errAuthTimeout
		}
		return nil, errAuthClosed
	}
	if _, ok := msg.(*pgproto3.Terminate); ok {
		return nil, errAuthClosed
	}
	return msg, nil
}

func (c *conn) authCleartext(user string) error {
	c.be.Send(&pgproto3.AuthenticationCleartextPassword{})
	msg, err := c.receiveAuth(pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "expected password response, got %T", msg)
	}
	want, known := c.srv.cfg.Users[user]
	if !checkPassword(pm.Password, want) || !known {
		return errAuthFailed(user)
	}
	return nil
}

// authSCRAM is the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), and
// over TLS of SCRAM-SHA-256-PLUS with tls-server-end-point channel binding
// (tls.go). An unknown user goes through the same exchange with a made-up
// salt and fails at the proof, as Postgres does, so the answer does not
// tell which users exist.
func (c *conn) authSCRAM(user string) error {
	mechs := []string{scramMechanism}
	cbData := c.channelBinding()
	if cbData != nil {
		mechs = []string{scramPlusMechanism, scramMechanism}
	}
	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: mechs})
	msg, err := c.receiveAuth(pgproto3.AuthTypeSASL)
	if err != nil {
		return err
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "expected SASL response, got %T", msg)
	}
	plus := first.AuthMechanism == scramPlusMechanism && cbData != nil
	if first.AuthMechanism != scramMechanism && !plus {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	gs2, clientFirstBare, clientNonce, err := parseClientFirst(string(first.Data))
	if err != nil {
		return err
	}
	if err := checkGS2(gs2, plus, cbData != nil); err != nil {
		return err
	}
	if !plus {
		cbData = nil
	}
	keys := c.srv.scramKeysFor(user)

	var nb [18]byte
	_, _ = rand.Read(nb[:])
	nonce := clientNonce + base64.StdEncoding.EncodeToString(nb[:])
	serverFirst := fmt.Sprintf("r=%s,s=%s,i=%d", nonce, base64.StdEncoding.EncodeToString(keys.salt), keys.iterations)
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})

	msg, err = c.receiveAuth(pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return err
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "expected SASL response, got %T", msg)
	}
	cbind, finalNonce, proof, withoutProof, err := parseClientFinal(string(resp.Data))
	if err != nil {
		return err
	}
	if cbind != base64.StdEncoding.EncodeToString(append([]byte(gs2), cbData...)) {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "SCRAM channel binding check failed")
	}
	if finalNonce != nonce {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "SCRAM nonce mismatch")
	}
	authMessage := clientFirstBare + "," + serverFirst + "," + withoutProof
	clientSig := hmacSHA256(keys.storedKey, authMessage)
	if len(proof) != len(clientSig) {
		return errAuthFailed(user)
	}
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], keys.storedKey) != 1 || !keys.known {
		return errAuthFailed(user)
	}
	serverSig := hmacSHA256(keys.serverKey, authMessage)
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(serverSig))})
	return nil
}

// parseClientFirst splits a client-first-message into its GS2 header (with
// the trailing comma), the bare message and the client nonce.
func parseClientFirst(msg string) (gs2, bare, nonce string, err error) {
	// gs2-header = cbind-flag "," [authzid] ","; cbind-flag = "n" / "y" /
	// "p=" cb-name
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok || flag != "n" && flag != "y" && !strings.HasPrefix(flag, "p=") {
		return "", "", "", errMalformedSCRAM("GS2 header")
	}
	authzid, _, ok := strings.Cut(rest, ",")
	if !ok {
		return "", "", "", errMalformedSCRAM("GS2 header")
	}
	if authzid != "" {
		return "", "", "", sqltypes.Errorf(sqltypes.FeatureNotSupported, "client uses authorization identity, but it is not supported")
	}
	n := len(flag) + 1 + len(authzid) + 1
	gs2, bare = msg[:n], msg[n:]
	for _, attr := range strings.Split(bare, ",") {
		if strings.HasPrefix(attr, "r=") {
			nonce = attr[2:]
		}
		if strings.HasPrefix(attr, "m=") {
			return "", "", "", errMalformedSCRAM("mandatory extension")
		}
	}
	if nonce == "" || strings.ContainsFunc(nonce, func(r rune) bool { return r < 0x21 || r > 0x7e || r == ',' }) {
		return "", "", "", errMalformedSCRAM("nonce")
	}
	return gs2, bare, nonce, nil
}

// checkGS2 checks the client's channel binding flag against the mechanism
// it chose (plus) and whether the server offered binding (offered), as
// Postgres does: "y" while the server offered it means someone took the
// -PLUS mechanism out of the server's list (a downgrade).
func checkGS2(gs2 string, plus, offered bool) error {
	switch {
	case plus && gs2 != "p=tls-server-end-point,,":
		if strings.HasPrefix(gs2, "p=") {
			return sqltypes.Errorf(sqltypes.ProtocolViolation, "unsupported SCRAM channel-binding type %q", strings.TrimSuffix(gs2[2:], ",,"))
		}
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "SCRAM-SHA-256-PLUS selected, but the SCRAM message does not include channel binding data")
	case !plus && strings.HasPrefix(gs2, "p="):
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "SCRAM-SHA-256 selected, but the SCRAM message includes channel binding data")
	case !plus && gs2[0] == 'y' && offered:
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "SCRAM channel binding negotiation error: the client supports channel binding but thinks the server does not, and this server does")
	}
	return nil
}

// parseClientFinal splits a client-final-message into its channel binding,
// nonce and proof, and returns the message without the proof attribute.
func parseClientFinal(msg string) (cbind, nonce string, proof []byte, withoutProof string, err error) {
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return "", "", nil, "", errMalformedSCRAM("proof")
	}
	withoutProof = msg[:i]
	proof, err = base64.StdEncoding.DecodeString(msg[i+3:])
	if err != nil {
		return "", "", nil, "", errMalformedSCRAM("proof")
	}
	for _, attr := range strings.Split(withoutProof, ",") {
		switch {
		case strings.HasPrefix(attr, "c="):
			cbind = attr[2:]
		case strings.HasPrefix(attr, "r="):
			nonce = attr[2:]
		}
	}
	if cbind == "" || nonce == "" {
		return "", "", nil, "", errMalformedSCRAM("attributes")
	}
	return cbind, nonce, proof, withoutProof, nil
}

// scramKeys are the verifier of one user, as Postgres stores it in
// pg_authid: salt, iteration count, StoredKey and ServerKey.
type scramKeys struct {
	salt, storedKey, serverKey []byte
	iterations                 int
	known                      bool
}

// scramKeysFor returns the user's verifier: the configured one, or (once
// per server) one derived from a configured plaintext password with a
// random salt. For an unknown user, or a verifier that does not parse
// (refused at startup), it returns one no proof matches, with a salt that
// is stable for that name.
func (s *Server) scramKeysFor(user string) *scramKeys {
	if k, ok := s.scram.Load(user); ok {
		return k.(*scramKeys)
	}
	pw, known := s.cfg.Users[user]
	var k *scramKeys
	switch {
	case known && IsVerifier(pw):
		k, _ = ParseVerifier(pw)
	case known:
		salt := make([]byte, scramSaltLen)
		_, _ = rand.Read(salt)
		k = deriveKeys(pw, salt, scramIterations)
	}
	if k == nil {
		// Unknown users are not cached: the map would grow with every
		// name a client tries.
		return &scramKeys{
			salt:       hmacSHA256(s.mockSecret[:], "salt:"+user)[:scramSaltLen],
			storedKey:  hmacSHA256(s.mockSecret[:], "stored:"+user),
			serverKey:  hmacSHA256(s.mockSecret[:], "server:"+user),
			iterations: scramIterations,
		}
	}
	actual, _ := s.scram.LoadOrStore(user, k)
	return actual.(*scramKeys)
}

// saslPrep normalizes a password the way Postgres and pgx do before SCRAM
// (SASLprep), keeping it unchanged when it is not valid for SASLprep.
func saslPrep(pw string) string {
	out, err := precis.OpaqueString.String(pw)
	if err != nil {
		return pw
	}
	return out
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

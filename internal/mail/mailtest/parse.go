package mailtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Message is a received message taken apart with the standard library only.
type Message struct {
	Header  netmail.Header
	Subject string
	To      []*netmail.Address
	Text    string
	HTML    string
}

// Parse parses raw as RFC 5322 with a multipart/alternative body of text and HTML (quoted-
// printable decoded), failing the test otherwise.
func Parse(t testing.TB, raw []byte) Message {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	var p Message
	p.Header = msg.Header
	p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	p.To, err = msg.Header.AddressList("To")
	require.NoError(t, err)

	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mediaType)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		body, err := io.ReadAll(part)
		require.NoError(t, err)
		ct, _, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		types = append(types, ct)
		switch ct {
		case "text/plain":
			p.Text = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html":
			p.HTML = strings.ReplaceAll(string(body), "\r\n", "\n")
		}
	}
	require.Equal(t, []string{"text/plain", "text/html"}, types)
	return p
}

package estest

import (
	"os"
	"strings"
	"testing"
)

// Documented checks that the program of a test file, the lines between
// "// doc:begin" and "// doc:end" in src, stands verbatim in the document
// doc, so that the code a document shows is code a test runs. name is
// what the program is called in the failure.
func Documented(t testing.TB, src, doc, name string) {
	t.Helper()
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(code), "// doc:begin\n")
	block, _, _ = strings.Cut(block, "\n// doc:end")
	if !strings.Contains(string(text), block) {
		t.Errorf("%s does not hold %s as it is here", strings.TrimLeft(doc, "./"), name)
	}
}

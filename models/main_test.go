package models_test

import (
	"os"
	"testing"

	"borderflow/models/testdb"
)

func TestMain(m *testing.M) {
	// The crash test re-runs this binary as a writer that it kills mid-write.
	if url := os.Getenv(crashWriterEnv); url != "" {
		runCrashWriter(url)
		return
	}
	testdb.Main(m)
}

package models_test

import (
	"testing"

	"borderflow/models/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

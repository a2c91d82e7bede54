package service_test

import (
	"os"
	"testing"

	"github.com/hiremebahamas/api/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

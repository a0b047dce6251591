package store_test

import (
	"github.com/oots-go/oots/ap"
	"github.com/oots-go/oots/store"
)

// *DB is the access point's store. The assertion sits in a test because
// package store cannot import ap: ap reaches store through smp, and store is
// the database of components below the access point.
var _ ap.Store = (*store.DB)(nil)

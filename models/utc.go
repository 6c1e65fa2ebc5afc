package models

import (
	"reflect"
	"time"

	"gorm.io/gorm"
)

var (
	timeType        = reflect.TypeOf(time.Time{})
	timePointerType = reflect.TypeOf(&time.Time{})
)

// registerUTCTimes makes every time written through a model UTC. SQLite
// keeps instants as text in the zone they were given in, and text compares
// correctly only when every instant is in the same zone.
func registerUTCTimes(db *gorm.DB) error {
	if err := db.Callback().Create().Before("gorm:create").Register("borderflow:utc_times", utcTimes); err != nil {
		return err
	}
	return db.Callback().Update().Before("gorm:update").Register("borderflow:utc_times", utcTimes)
}

func utcTimes(tx *gorm.DB) {
	s := tx.Statement
	if s.Schema == nil {
		return
	}
	fix := func(rv reflect.Value) {
		for _, f := range s.Schema.Fields {
			switch f.FieldType {
			case timeType:
				if v, zero := f.ValueOf(s.Context, rv); !zero {
					_ = f.Set(s.Context, rv, v.(time.Time).UTC())
				}
			case timePointerType:
				if v, zero := f.ValueOf(s.Context, rv); !zero {
					if p, ok := v.(*time.Time); ok && p != nil {
						utc := p.UTC()
						_ = f.Set(s.Context, rv, &utc)
					}
				}
			}
		}
	}
	rv := reflect.Indirect(s.ReflectValue)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			fix(reflect.Indirect(rv.Index(i)))
		}
	case reflect.Struct:
		fix(rv)
	}
}

package cache

import (
	"reflect"
	"unsafe"
)

// Footprint estimates the bytes v holds in memory: its own size plus,
// followed through pointers, slices, strings, maps and interfaces, what
// it refers to (slices by capacity, each pointer counted once). It is what
// a cache counts against its budget, so it errs on the large side for
// maps; channels and functions count as their pointer alone.
func Footprint(v any) int64 {
	if v == nil {
		return 0
	}
	rv := reflect.ValueOf(v)
	seen := map[uintptr]bool{}
	return int64(rv.Type().Size()) + indirect(rv, seen)
}

// mapEntryOverhead is a map slot's cost besides its key and value: Go's
// swiss tables keep a control byte per slot and grow at 7/8 load.
const mapEntryOverhead = 16

// indirect is what v refers to beyond its own size.
func indirect(v reflect.Value, seen map[uintptr]bool) int64 {
	switch v.Kind() {
	case reflect.String:
		return int64(v.Len())
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		e := v.Elem()
		return int64(e.Type().Size()) + indirect(e, seen)
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		n := indirect(e, seen)
		if e.Kind() != reflect.Pointer {
			n += int64(e.Type().Size()) // boxed
		}
		return n
	case reflect.Slice:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		n := int64(v.Cap()) * int64(v.Type().Elem().Size())
		if hasPointers(v.Type().Elem()) {
			for i := range v.Len() {
				n += indirect(v.Index(i), seen)
			}
		}
		return n
	case reflect.Array:
		var n int64
		if hasPointers(v.Type().Elem()) {
			for i := range v.Len() {
				n += indirect(v.Index(i), seen)
			}
		}
		return n
	case reflect.Struct:
		var n int64
		for i := range v.NumField() {
			if hasPointers(v.Type().Field(i).Type) {
				n += indirect(v.Field(i), seen)
			}
		}
		return n
	case reflect.Map:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		kt, et := v.Type().Key(), v.Type().Elem()
		// A map grows to twice what it holds before it rehashes.
		n := int64(v.Len()) * 2 * (int64(kt.Size()) + int64(et.Size()) + mapEntryOverhead)
		it := v.MapRange()
		for it.Next() {
			n += indirect(it.Key(), seen) + indirect(it.Value(), seen)
		}
		return n + int64(unsafe.Sizeof(uintptr(0)))*8 // the map header
	}
	return 0
}

// hasPointers reports whether a value of t may refer to memory outside it.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return true
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

//go:build dep_huh || dep_all

package main

import _ "charm.land/huh/v2"

//go:build dep_viper || dep_all

package main

import _ "github.com/spf13/viper"

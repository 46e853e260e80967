//go:build dep_yaml || dep_all

package main

import _ "go.yaml.in/yaml/v3"

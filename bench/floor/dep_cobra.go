//go:build dep_cobra || dep_all

package main

import _ "github.com/spf13/cobra"

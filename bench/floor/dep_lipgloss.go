//go:build dep_lipgloss || dep_all

package main

import _ "charm.land/lipgloss/v2"

//go:build wasip1

// Command hello is a WASI (GOOS=wasip1 GOARCH=wasm) test program for
// wasm-runc. With no arguments it prints its args and environment. Otherwise
// the arguments are commands, run in order:
//
//	args            print each argument as "arg[i]=..."
//	env             print the environment, one variable a line
//	cwd             print the working directory as "cwd=..."
//	cat FILE        copy FILE to stdout (also: -read FILE before the commands)
//	stdin           copy stdin to stdout
//	write FILE TEXT create FILE holding TEXT
//	ls DIR          print the names in DIR
//	sleep SECONDS   sleep (a guest blocked in a host call)
//	spin            loop forever without calling the host
//	grow            allocate 1 MiB blocks until the runtime gives up
//	panic           panic (exit code 2, from the Go runtime)
//	exit N          exit with code N
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o hello.wasm ./examples/hello
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	read := flag.String("read", "", "copy this file to stdout first")
	flag.Parse()
	if *read != "" {
		cat(*read)
	}
	cmds := flag.Args()
	if len(cmds) == 0 && *read == "" {
		printArgs()
		printEnv()
		return
	}
	for len(cmds) > 0 {
		cmd := cmds[0]
		cmds = cmds[1:]
		need := func(n int) []string {
			if len(cmds) < n {
				fatal("%s: needs %d argument(s)", cmd, n)
			}
			a := cmds[:n]
			cmds = cmds[n:]
			return a
		}
		switch cmd {
		case "args":
			printArgs()
		case "env":
			printEnv()
		case "cwd":
			wd, err := os.Getwd()
			if err != nil {
				fatal("getwd: %v", err)
			}
			fmt.Printf("cwd=%s\n", wd)
		case "cat":
			cat(need(1)[0])
		case "stdin":
			if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
				fatal("stdin: %v", err)
			}
		case "write":
			a := need(2)
			if err := os.WriteFile(a[0], []byte(a[1]), 0o644); err != nil {
				fatal("write: %v", err)
			}
		case "ls":
			ents, err := os.ReadDir(need(1)[0])
			if err != nil {
				fatal("ls: %v", err)
			}
			for _, e := range ents {
				fmt.Println(e.Name())
			}
		case "sleep":
			s, err := strconv.ParseFloat(need(1)[0], 64)
			if err != nil {
				fatal("sleep: %v", err)
			}
			time.Sleep(time.Duration(s * float64(time.Second)))
		case "spin":
			fmt.Println("spinning")
			for n := 0; ; n++ {
				spinSink = n
			}
		case "grow":
			grow()
		case "panic":
			panic("hello: asked to panic")
		case "exit":
			n, err := strconv.Atoi(need(1)[0])
			if err != nil {
				fatal("exit: %v", err)
			}
			os.Exit(n)
		default:
			fatal("unknown command %q", cmd)
		}
	}
}

var spinSink int

func printArgs() {
	for i, a := range os.Args {
		fmt.Printf("arg[%d]=%s\n", i, a)
	}
}

func printEnv() {
	for _, kv := range os.Environ() {
		fmt.Println(kv)
	}
}

func cat(name string) {
	f, err := os.Open(name)
	if err != nil {
		fatal("cat: %v", err)
	}
	defer f.Close()
	if _, err := io.Copy(os.Stdout, f); err != nil {
		fatal("cat: %v", err)
	}
}

var hoard [][]byte

// grow keeps every block reachable and touched, so the heap really grows;
// the Go runtime ends it with "fatal error: out of memory" (exit code 2)
// once memory.grow returns -1.
func grow() {
	for i := 1; ; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		hoard = append(hoard, b)
		if i%64 == 0 {
			fmt.Fprintf(os.Stderr, "grew %d MiB\n", i)
		}
	}
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "hello: "+format+"\n", a...)
	os.Exit(1)
}

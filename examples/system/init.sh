#!/bin/sh
# /init of the example initramfs (make system-demo): mounts the usual
# file systems, says hello, runs a shell on the serial console and
# powers the machine off when the shell exits.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "Hello from $(uname -s) $(uname -r) on $(uname -m), under gemu-system."
echo "Type commands; 'exit' (or Ctrl-D) powers off, Ctrl-A X quits gemu-system."
setsid cttyhack sh
poweroff -f

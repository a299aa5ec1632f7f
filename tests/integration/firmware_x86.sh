#!/usr/bin/env bash
# UEFI boot with Debian's stock OVMF (the ovmf package, unmodified):
# the firmware runs from the reset vector, learns the VM through fw_cfg
# (CPUs, memory, ACPI tables by its table loader, the kernel to boot)
# and hands over to Linux's EFI stub. Needs /dev/kvm.
#
# Not in tests/run yet (hence not named x86_*.sh): run it with
# tests/run-guest tests/integration/firmware_x86.sh, which runs it in
# the nested L1 on the QEMU that tests/lib/qemu-l1.sh builds (Debian's
# aborts on OVMF), or directly where there is /dev/kvm. Its first CI run
# lost an L1 to a soft lockup during one boot (docs/testing.md,
# "Firmware under the nested L1").
#
# usage: firmware_x86.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: fw-kernel fw-kernel-smp fw-acpi fw-reboot fw-reboot-exit
# expects: fw-shell fw-quit fw-vars-created fw-vars-persist fw-vars-kill
# expects: fw-smbios fw-esp fw-esp-smp fw-bootorder fw-installer
set -u
. "$(dirname "$0")/../lib/guest.sh"

# The firmware lies in the asset cache beside the kernel (tests/lib/
# assets.sh fetches both).
ovmf=${kernel%/root-*}/root-ovmf/usr/share/OVMF
if [ ! -f "$ovmf/OVMF_CODE_4M.fd" ] || [ ! -f "$ovmf/OVMF_CODE.fd" ]; then
	for t in fw-kernel fw-kernel-smp fw-acpi fw-reboot fw-reboot-exit \
		fw-shell fw-quit fw-vars-created fw-vars-persist fw-vars-kill \
		fw-smbios fw-esp fw-esp-smp fw-bootorder fw-installer; do
		report_fail "$t" "no OVMF in $ovmf (tests/lib/assets.sh)"
	done
	exit 1
fi
# The boot media tests/lib/efi-media.sh builds there (tests/run-guest).
esp_disk=${kernel%/root-*}/esp-disk.img
installer_iso=${kernel%/root-*}/installer.iso
tools=$(dirname "$0")/../tools
bin=$(dirname "$scorpi")
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# A kernel through the firmware (-k with -o bootrom): OVMF starts its
# EFI stub, which finds the initrd (init runs from it) and the command
# line (scorpi.test= reaches init); the guest sees EFI,
# both vCPUs, and the ACPI tables the firmware placed and patched.
uuid=6a1f0c2e-93d4-4b7a-8e25-0d9c8b7a6f51
run fw-kernel -c 2 -m 512M -o bootrom="$ovmf/OVMF_CODE_4M.fd" \
	-o uuid=$uuid -s 0,hostbridge -s 5,virtio-rnd -- efi
rc=$?
log=$logs/fw-kernel.log
if expect_exit fw-kernel 0 "$rc" "$log" &&
	expect_grep fw-kernel "guest: efi 64-bit" "$log" &&
	expect_grep fw-kernel "guest: dmesg .*efi: EFI v[0-9.]* by EDK II" "$log"; then
	report_ok fw-kernel
fi
expect_smp fw-kernel-smp 2 "$rc" "$log"
# SMBIOS through fw_cfg: Scorpi's system (maker, name, -o uuid), and
# OVMF's own BIOS information beside it.
expect_grep fw-smbios "guest: dmi Scorpi / vm-fw-kernel / $uuid / bios EFI Development Kit II / OVMF" \
	"$log" && report_ok fw-smbios
tables=$(tr -d '\r' <"$log" | sed -n 's/.*guest: acpi tables //p')
missing=
for t in APIC DSDT FACP FACS MCFG; do
	case " $tables " in
	*" $t "*) ;;
	*) missing="$missing $t" ;;
	esac
done
if [ -n "$missing" ]; then
	report_fail fw-acpi "tables seen: '$tables', missing:$missing"
elif expect_grep fw-acpi "guest: dmesg .*ACPI: RSDP .*SCORPI" "$log"; then
	report_ok fw-acpi
fi

# The variable store (-o bootvars): a missing one is created from the
# firmware's blank store beside it; OVMF finds it a flash (or the
# variable would live in RAM only) and stores what Linux writes through
# efivarfs; the next VM, a new process, reads it back.
vars=$tmp/vm_VARS.fd
note=n$$x$RANDOM
EXTRA_CMDLINE="scorpi.note=$note" run fw-vars-created -m 512M \
	-o bootrom="$ovmf/OVMF_CODE_4M.fd" -o bootvars="$vars" -- efivar-write
rc=$?
log=$logs/fw-vars-created.log
expect_exit fw-vars-created 0 "$rc" "$log" &&
	expect_grep fw-vars-created "created from the firmware's blank store .*OVMF_VARS_4M.fd" "$log" &&
	expect_grep fw-vars-created "guest: efivar written 1" "$log" &&
	report_ok fw-vars-created
run fw-vars-persist -m 512M -o bootrom="$ovmf/OVMF_CODE_4M.fd" \
	-o bootvars="$vars" -- efivar-read
rc=$?
log=$logs/fw-vars-persist.log
expect_exit fw-vars-persist 0 "$rc" "$log" &&
	expect_grep fw-vars-persist "guest: efivar reads $note 1" "$log" &&
	report_ok fw-vars-persist

# SIGKILL while the guest writes variables: the store still boots, and
# holds a write at least as late as the last one the guest saw done.
log=$logs/fw-vars-kill.log
EXTRA_CMDLINE="scorpi.note=$note scorpi.lines=200" start fw-vars-kill -m 512M \
	-o bootrom="$ovmf/OVMF_CODE_4M.fd" -o bootvars="$vars" -- efivar-write
if wait_for "$log" "guest: efivar written 5"; then
	pkill -KILL -P "$vm_pid" -x scorpi
	wait "$vm_pid"
	done_n=$(grep -o 'efivar written [0-9]*' "$log" | tail -n 1 | awk '{print $3}')
	run fw-vars-after-kill -m 512M -o bootrom="$ovmf/OVMF_CODE_4M.fd" \
		-o bootvars="$vars" -- efivar-read
	rc=$?
	got=$(tr -d '\r' <"$logs/fw-vars-after-kill.log" |
		sed -n "s/.*guest: efivar reads $note //p")
	if [ "$rc" != 0 ]; then
		report_fail fw-vars-kill "the boot after the kill ended $rc"
		tail -n 5 "$logs/fw-vars-after-kill.log" | sed 's/^/    | /'
	elif [ -z "$got" ] || [ "$got" -lt "$done_n" ]; then
		report_fail fw-vars-kill "the guest saw write $done_n done; after the kill the store holds '${got:-nothing}'"
	else
		report_ok fw-vars-kill
	fi
else
	report_fail fw-vars-kill "the guest never wrote: $(tail -n 3 "$log" | tr '\n' ' ')"
	kill "$vm_pid" 2>/dev/null
	wait "$vm_pid"
fi

# fw_run NAME SCORPI-ARGS...: the firmware boots from the VM's devices
# (no -k); the console goes to $logs/NAME.log. Booted once more after a
# nested triple fault, as run does.
fw_run()
{
	local name=$1 rc
	shift
	for _ in 1 2; do
		guarded "$logs/$name.log" "$scorpi" -o console=stdio "$@" \
			"vm-$name"
		rc=$?
		nested_triple_fault "$name" "$rc" "$logs/$name.log" || break
	done
	return "$rc"
}

# GRUB from an EFI system partition (Debian's signed GRUB with the test
# kernel and initramfs), on the second of two disks, the first blank:
# bootindex=1 puts it first in the firmware's BootOrder, and GRUB boots
# Linux to init with 2 vCPUs.
if [ -f "$esp_disk" ]; then
	cp "$esp_disk" "$tmp/esp.img"
	truncate -s 64M "$tmp/blank.img"
	fw_run fw-esp -c 2 -m 512M -o bootrom="$ovmf/OVMF_CODE_4M.fd" \
		-o bootvars="$tmp/esp_VARS.fd" -s 0,hostbridge \
		-s 2,virtio-blk,"$tmp/blank.img" \
		-s 3,virtio-blk,"$tmp/esp.img",bootindex=1
	rc=$?
	log=$logs/fw-esp.log
	if expect_exit fw-esp 0 "$rc" "$log" &&
		expect_grep fw-esp "grub: booting the test kernel from the ESP" "$log" &&
		expect_grep fw-esp "guest: efi 64-bit" "$log"; then
		report_ok fw-esp
	fi
	expect_smp fw-esp-smp 2 "$rc" "$log"
	order=$(python3 "$tools/efi_boot_order.py" "$log")
	first=$(echo "$order" | head -n 1)
	case "$first " in
	*" pci=03.0 "*) report_ok fw-bootorder ;;
	*) report_fail fw-bootorder "BootOrder starts with '$first', not the disk at 03.0 (bootindex=1): $(echo "$order" | tr '\n' ';')" ;;
	esac
else
	for t in fw-esp fw-esp-smp fw-bootorder; do
		report_fail "$t" "no $esp_disk (tests/lib/efi-media.sh)"
	done
fi

# The seed's flow, installing Linux from an ISO: the Debian installer's
# own kernel and initrd on an El Torito ISO, an empty disk and a network
# card beside it, as the issue's command line has them; the installer
# reaches its first dialog on the serial console. quit ends the VMM.
if [ -f "$installer_iso" ]; then
	cp "$installer_iso" "$tmp/boot.iso"
	truncate -s 2G "$tmp/disk.img"
	sock=$tmp/di.sock
	log=$logs/fw-installer.log
	timeout -k 10 "$limit" "$scorpi" -c 2 -m 1G -o console=stdio \
		-o bootrom="$ovmf/OVMF_CODE_4M.fd" -o bootvars="$tmp/vm1_VARS.fd" \
		-s 0,hostbridge -s 2,virtio-blk,"$tmp/disk.img" \
		-s 3,virtio-blk,"$tmp/boot.iso",ro -s 4,virtio-net,slirp \
		-l "$sock" vm1 </dev/null >"$log" 2>&1 &
	vm_pid=$!
	if wait_for "$log" "Select a language|Choose the language"; then
		report_ok fw-installer
	else
		report_fail fw-installer "no installer dialog on the console: $(tail -c 400 "$log" | tr -d '\r\033' | tr '\n' ' ')"
	fi
	"$bin/scorpictl" "$sock" quit >/dev/null 2>&1
	wait "$vm_pid"
	rm -f "$tmp/boot.iso" "$tmp/disk.img"
else
	report_fail fw-installer "no $installer_iso (tests/lib/efi-media.sh)"
fi

# Reboot runs the firmware again (a fresh VM from the reset vector), and
# the second boot knows it is the second from the CMOS note.
run fw-reboot -m 512M -o bootrom="$ovmf/OVMF_CODE_4M.fd" -- reboot
rc=$?
log=$logs/fw-reboot.log
if expect_exit fw-reboot 0 "$rc" "$log" &&
	expect_grep fw-reboot "second boot" "$log"; then
	boots=$(grep -c "init reached" "$log")
	if [ "$boots" = 2 ]; then
		report_ok fw-reboot
	else
		report_fail fw-reboot "init reached $boots times, expected 2"
	fi
fi

# The 2 MiB build, and -o reboot=exit: the guest's reboot ends the VMM
# with exit status 2.
run fw-reboot-exit -m 512M -o bootrom="$ovmf/OVMF_CODE.fd" -o reboot=exit \
	-- reboot-loop
rc=$?
expect_exit fw-reboot-exit 2 "$rc" "$logs/fw-reboot-exit.log" &&
	report_ok fw-reboot-exit

# Firmware alone: with nothing to boot, OVMF ends in its UEFI shell, on
# the serial console that -o console=stdio gives the terminal; quit on
# the control socket ends the VMM.
sock=$tmp/fw.sock
log=$logs/fw-shell.log
timeout -k 10 "$limit" "$scorpi" -m 256M -o console=stdio \
	-o bootrom="$ovmf/OVMF_CODE_4M.fd" -l "$sock" vm-fw-shell \
	</dev/null >"$log" 2>&1 &
vm_pid=$!
if wait_for "$log" "Shell>|UEFI Interactive Shell"; then
	report_ok fw-shell
else
	report_fail fw-shell "no UEFI shell on the console: $(tail -c 300 "$log" | tr -d '\r\033' | tr '\n' ' ')"
fi
"$bin/scorpictl" "$sock" quit >/dev/null 2>&1
wait "$vm_pid"
expect_exit fw-quit 4 "$?" "$log" && report_ok fw-quit

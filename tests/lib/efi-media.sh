#!/usr/bin/env bash
# Boot media for the firmware tests (tests/integration/firmware_x86.sh),
# built on the host from Debian packages and cached beside the other
# guest material, without loop mounts (sfdisk, mkfs.fat and mtools for
# the disk, xorriso for the ISO):
#   ASSET_ESP_DISK       a GPT disk whose EFI system partition holds
#                        Debian's signed GRUB as the removable-media
#                        loader (EFI/BOOT/BOOTX64.EFI), its grub.cfg
#                        (EFI/debian, the image's built-in prefix), the
#                        test kernel and the test initramfs; GRUB boots
#                        them with scorpi.test=efi-boot on ttyS0
#   ASSET_INSTALLER_ISO  an El Torito ISO (EFI platform) holding the
#                        Debian 12 installer's kernel and initrd (the
#                        netboot package's text flavour) and Debian's
#                        CD GRUB, which finds the ISO by its /.disk/info
#                        and boots the installer with console=ttyS0
# Needs tests/lib/assets.sh's assets_prepare first.

efi_media_die()
{
	echo "efi-media: $*" >&2
	return 1
}

# efi_media_esp OUT: the disk, written to OUT.tmp and renamed.
efi_media_esp()
{
	local out=$1 grub=$2 tmp=$1.tmp esp=$1.esp
	# 1 MiB in, 60 MiB long: room for the GPT's copy at the end.
	local start=2048 sectors=$((60 * 2048))
	rm -f "$tmp" "$esp"
	truncate -s 64M "$tmp" || return 1
	printf 'label: gpt\nstart=%s, size=%s, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"\n' \
		"$start" "$sectors" | sfdisk -q "$tmp" >/dev/null ||
		efi_media_die "sfdisk failed" || return 1
	mkfs.fat -C -n SCORPI-ESP "$esp" $((sectors / 2)) >/dev/null ||
		efi_media_die "mkfs.fat failed" || return 1
	cat >"$out.cfg" <<-'EOF'
		set timeout=0
		echo "grub: booting the test kernel from the ESP"
		linux /vmlinuz console=ttyS0 quiet scorpi.test=efi-boot
		initrd /initrd.gz
		boot
	EOF
	MTOOLS_SKIP_CHECK=1 mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$esp" "$grub/grubx64.efi.signed" \
			::/EFI/BOOT/BOOTX64.EFI &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$esp" "$out.cfg" \
			::/EFI/debian/grub.cfg &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$esp" "$ASSET_KERNEL" ::/vmlinuz &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$esp" "$ASSET_L2_INITRD" \
			::/initrd.gz ||
		efi_media_die "mtools failed" || return 1
	dd if="$esp" of="$tmp" bs=512 seek="$start" conv=notrunc \
		status=none || return 1
	rm -f "$esp" "$out.cfg"
	mv "$tmp" "$out"
}

# efi_media_iso OUT GRUB DI: the installer's ISO.
efi_media_iso()
{
	local out=$1 grub=$2 di=$3 root=$1.root
	rm -rf "$root" "$out.tmp"
	mkdir -p "$root/.disk" "$root/boot/grub" "$root/install.amd" || return 1
	echo "Scorpi test: Debian 12 installer (netboot text)" \
		>"$root/.disk/info"
	cp "$di/linux" "$root/install.amd/vmlinuz" &&
		cp "$di/initrd.gz" "$root/install.amd/initrd.gz" || return 1
	cat >"$root/boot/grub/grub.cfg" <<-'EOF'
		set timeout=0
		echo "grub: booting the Debian installer from the ISO"
		linux /install.amd/vmlinuz console=ttyS0
		initrd /install.amd/initrd.gz
		boot
	EOF
	# The El Torito EFI image: a FAT holding the CD GRUB as the
	# removable-media loader.
	mkfs.fat -C "$root/boot/grub/efi.img" 8192 >/dev/null &&
		MTOOLS_SKIP_CHECK=1 mmd -i "$root/boot/grub/efi.img" ::/EFI \
			::/EFI/BOOT &&
		MTOOLS_SKIP_CHECK=1 mcopy -i "$root/boot/grub/efi.img" \
			"$grub/gcdx64.efi.signed" ::/EFI/BOOT/BOOTX64.EFI ||
		efi_media_die "mtools failed" || return 1
	xorriso -as mkisofs -quiet -R -J -V SCORPI_DI -o "$out.tmp" \
		-e boot/grub/efi.img -no-emul-boot "$root" ||
		efi_media_die "xorriso failed" || return 1
	rm -rf "$root"
	mv "$out.tmp" "$out"
}

efi_media_prepare()
{
	local grub di
	grub=$(assets_fetch_deb grub-efi-amd64-signed) || return 1
	grub=$grub/usr/lib/grub/x86_64-efi-signed
	di=$(assets_fetch_deb debian-installer-12-netboot-amd64) || return 1
	di=$di/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64
	[ -f "$grub/grubx64.efi.signed" ] && [ -f "$grub/gcdx64.efi.signed" ] ||
		efi_media_die "no GRUB EFI images in $grub" || return 1
	[ -f "$di/linux" ] && [ -f "$di/initrd.gz" ] ||
		efi_media_die "no installer kernel and initrd in $di" || return 1
	ASSET_ESP_DISK=$SCORPI_CACHE/esp-disk.img
	ASSET_INSTALLER_ISO=$SCORPI_CACHE/installer.iso
	if assets_stale "$ASSET_ESP_DISK" "$ASSET_KERNEL" "$ASSET_L2_INITRD" \
		"${BASH_SOURCE[0]}"; then
		efi_media_esp "$ASSET_ESP_DISK" "$grub" || return 1
	fi
	if assets_stale "$ASSET_INSTALLER_ISO" "${BASH_SOURCE[0]}"; then
		efi_media_iso "$ASSET_INSTALLER_ISO" "$grub" "$di" || return 1
	fi
	export ASSET_ESP_DISK ASSET_INSTALLER_ISO
}

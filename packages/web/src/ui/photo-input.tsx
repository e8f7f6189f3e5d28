/** The image types the server accepts as an avatar or a group photo (both are sniffed again). */
const PHOTO_TYPES = 'image/png,image/jpeg,image/webp,image/gif';

/** A "Change photo" button that opens the file chooser and hands over the picked image. */
export function PhotoInput({
  name,
  label = 'Change photo',
  onPick,
}: {
  name: string;
  label?: string;
  onPick: (file: File) => void;
}) {
  return (
    <label class="btn small">
      {label}
      <input
        type="file"
        accept={PHOTO_TYPES}
        hidden
        name={name}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          // Cleared so that picking the same file again is a change too.
          e.currentTarget.value = '';
          if (file) onPick(file);
        }}
      />
    </label>
  );
}

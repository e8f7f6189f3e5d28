import { ChatError, type Attachment } from '@chat/client';

/**
 * POST /api/uploads with progress events. The SDK's `upload` uses fetch, which reports no
 * upload progress in browsers, so the UI talks to the same public route through XHR.
 */
export function uploadWithProgress(
  file: File,
  token: string,
  onProgress: (fraction: number) => void,
): Promise<Attachment> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/uploads');
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const body = xhr.response as {
        attachment?: Attachment;
        error?: { code: string; message: string };
      } | null;
      if (xhr.status === 201 && body?.attachment) {
        onProgress(1);
        resolve(body.attachment);
        return;
      }
      const code = (body?.error?.code ?? 'BAD_RESPONSE') as ChatError['code'];
      reject(
        new ChatError({
          code,
          status: xhr.status,
          message: body?.error?.message ?? `Upload failed (${xhr.status})`,
        }),
      );
    };
    xhr.onerror = () =>
      reject(new ChatError({ code: 'NETWORK', message: 'Upload failed: network error' }));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

// Placeholder until this page is written.
export async function render(root) {
  root.textContent = "This page is not built yet.";
}

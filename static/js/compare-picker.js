// The comparison picker: ticking events fills the "events" field (a-slug,b-slug).
// Without JavaScript the field is typed in; the form works the same.
document.querySelectorAll(".compare-picker").forEach(function (form) {
  var field = form.querySelector("input[name=events]");
  form.querySelectorAll("input.pick").forEach(function (box) {
    box.addEventListener("change", function () {
      field.value = Array.from(form.querySelectorAll("input.pick:checked"))
        .map(function (b) { return b.value; }).join(",");
    });
  });
});

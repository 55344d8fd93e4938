// "Cite this": a Copy button puts its citation on the clipboard and says so.
// Without JavaScript (or clipboard access) the text is there to select by hand.
document.querySelectorAll(".cite-this").forEach(function (box) {
  var status = box.querySelector(".copy-status");
  box.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () {
        status.textContent = "Copied.";
      }, function () {
        status.textContent = "Your browser did not allow copying: select the text instead.";
      });
    });
  });
});

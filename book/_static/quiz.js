// Quizzes drawn by the book's `quiz` directive: picking an option says at once whether it is
// right, and opens the explanation of every option, right and wrong.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".tp-question").forEach((question) => {
    const options = question.querySelectorAll(".tp-option");
    const verdict = question.querySelector(".tp-verdict");
    options.forEach((picked) => {
      picked.addEventListener("click", () => {
        options.forEach((option) => {
          const isPicked = option === picked;
          option.classList.toggle("tp-picked", isPicked);
          option.setAttribute("aria-pressed", String(isPicked));
          option.classList.add(option.dataset.correct === "true" ? "tp-right" : "tp-wrong");
          option.nextElementSibling.hidden = false;
        });
        const right = picked.dataset.correct === "true";
        question.classList.toggle("tp-answered-right", right);
        question.classList.toggle("tp-answered-wrong", !right);
        verdict.textContent = right
          ? "Right. The explanations under each option say why the others are wrong."
          : "Not this one. The explanations under each option say why, and which one is right.";
      });
    });
  });
});

"""fp2: upstream's prompt function names bound to our re-expressed prompts, and the local loader."""

from kinyu.evaluation.tasks import prompts as p
from kinyu.evaluation.tasks.data import dataset_loader


load_dataset = dataset_loader("fp2")


doc_to_text_00 = p.fp2_text_00
doc_to_target_00 = p.target_text
doc_to_choices_00 = p.choices_texts
doc_to_text_01 = p.text_bracketed_01
doc_to_text_01_2 = p.text_bracketed_lettered_01_2
doc_to_target_01_2 = p.target_position_letter
doc_to_choices_01_2 = p.choices_position_letters
doc_to_text_02 = p.text_numbered_02
doc_to_target_02 = p.target_number
doc_to_choices_02 = p.choices_numbers
doc_to_text_02_1 = p.fp2_text_02_1
doc_to_text_03 = p.fp2_text_03
doc_to_text_04 = p.fp2_text_04
doc_to_text_05 = p.fp2_text_05
doc_to_text_06 = p.fp2_text_06

"""Questions phrased as people write them, on generated clips (written by hand, not taken from the policy's
patterns nor from the held-out sets): a statement that sets the scene before the question, a window named
"during its last two seconds", colour options with "-ish", how a video starts ("start black and fade up,
or the other way round?"), the time from one screen to another ("from black at the very start to fully
white"), which of two shots is brighter when the options name the shots, the line typed next after a
line the question writes out, a switch between two named colours, the frame count, frame rate and size
given with the question, numbered events ordered by label chains ("3->2->1"), chat shorthand and typos
("totaly", "vid", "dont"), times typed as choices ("like 1s, 3s, 5s or 7s") and how a shot named by how it
starts ends; a slow fade to black is one fade, not a dissolve; whether the clip begins on one colour or another,
an option that writes a screen's two lines ("BOOT OK / LOADING MAP") and the words typed once the picture
switches (these three for kinds of miss found on the spent held-out sets AM/AN, worded anew); options that say
how many shots by cuts ("it cuts once", "a few different shots"), a value written after its label ('after
"Frame ="'), and "steadily brighter" against brightness that goes back and forth (these found on the spent
AO/AP, worded anew); a course of colours among options where one says nothing changes, and "how many secs in"
to a fully white screen, and whether there is any picture or only blank screens (found on the spent AQ/AR,
worded anew); the starting and ending colour (found on the spent AS/AT); the video called by its file name
("how does demoreel end", "the flashes video"), "dark / black" as one option's colour, a course of colours
beside "nothing changes at all", a plain screen with small writing among options that describe scenes, and
"at roughly what second" that nothing answers offline (found on the spent AU/AV/AW, worded anew); which
colour comes first beside an option saying they come together, what the screen turns into after a colour
part, the text that comes up briefly after a typed one, how "this one" ends among shaded colours, and
"increasing" / "decreasing" as brightness (found on the spent AY/AZ/BA/BB, worded anew); a question typed in
lower case after a statement ("... i think. at about what second ...") or after a statement asking for
agreement ("... right? how many ..."), and which text someone typed first (found on the spent BC/BD/BE/BF,
worded anew); how long "the whole thing" is, whether it finishes on white or black beside an option naming
no colour, what the picture looks like as it starts, "so roughly when", the colour of "the middle section",
which claimed change comes first, options describing filmed content on a video of plain screens, and
"about a second of black screen" as an opening (found on the spent BK/BL/BM/BN, worded anew); what the
computer asks for when the request blinks, and a line named by its start that is still being typed (found on
the spent BO/BP/BQ/BR, worded anew); how long each colour lasts, an option written "blue-ish grey", and how a clip
"kicks off" when only its first frame is black (found on the spent BS/BT/BU/BV, worded anew); "at what second" as
a unit, not the second cut, the moment of the first real picture after a black opening, and two hues written side
by side ("grey blue") as one colour (found on the spent BW/BX/BY/BZ, worded anew). The clips
are those of ``tests/fixtures_clips.py`` (its docstrings say what they show).
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.fixtures_clips import ask, check_answers, segments, write_clip
from vagent.agent.measures import guessed
from vagent.answers import parse_spans


@pytest.mark.slow
def test_a_statement_before_the_question_and_the_time_from_black_to_fully_white(fade_clip):
    # fade_clip: fades in from black to white until 1.5 s, white until 2.5 s, fades out to black at 4 s
    check_answers(fade_clip, [
        ("The video fades between black and white. How many times does the screen become fully white?", None, "1"),
        ("how many secs does it take to get from black at the very beginning to completely white?", None, 1.5),
        ("What is happening to the brightness during its last two seconds?", ["staying the same", "dimming", "brightening"], "B"),
        ("When does 'the screen becomes fully white' happen in the video for the first time? Answer in seconds.", None, 1.5),
        ("does it start black and fade up to white, or the other way round?",
         ["starts white and fades down to black", "cuts straight from black to white", "starts black and fades up to white"], "C"),
    ])


@pytest.mark.slow
def test_colours_with_ish_and_the_brighter_of_two_named_shots(muted_clip, cards_clip):
    # muted_clip: a bluish gray until 1 s, a dull red until 2 s, a dull green; cards_clip: gray until 1 s, then red
    check_answers(muted_clip, [("roughly what colour is the background around 1.5 s in?", ["greenish", "blue-grey", "reddish", "black"], "C")])
    check_answers(cards_clip, [("which is brighter overall, the first shot or the second?",
                                ["the second shot", "they're about the same", "the first shot"], "C")])


@pytest.mark.slow
def test_the_line_typed_after_a_line_written_out(console_clip):
    # console_clip, shot 2: "SCAN STARTED" at the top, "ENTER YOUR NAME" under it from 5.0 s
    check_answers(console_clip, [("after it shows scan started, what does the next line say?", None, "ENTER YOUR NAME")])


@pytest.mark.slow
def test_a_switch_between_two_named_colours_and_facts_given_with_the_question(colour_clip, fade_clip):
    # colour_clip: white until 1.4 s, red until 2.7 s, then blue; fade_clip: 4 s at 10 fps, 160x120 pixels
    check_answers(colour_clip, [("at what time (seconds) does the picture switch from red to blue?", None, 2.7)])
    check_answers(fade_clip, [
        ("how many frames r there in total in this clip?", None, "40"),
        ("how many pixels wide is the video?", None, "160"),
        ("whats the frame rate?", ["25 fps", "10 fps", "30 fps"], "B"),
    ])


@pytest.mark.slow
def test_an_order_of_numbered_events_given_as_label_chains(messages_clip):
    # messages_clip: "BOOT OK" until 1.5 s, "LOADING MAP" until 3 s, then "READY PLAYER"; "CH 7" top right throughout
    check_answers(messages_clip, [(
        'Arrange the following events in the correct chronological order: (1)The words "READY PLAYER" appear; '
        '(2)The words "BOOT OK" appear below "CH 7"; (3)The text "LOADING MAP" is shown.', ["3->2->1", "2->3->1", "1->2->3"], "B")])


@pytest.mark.slow
def test_chat_shorthand_typos_and_times_typed_as_choices(transitions_clip, cards_clip):
    # transitions_clip: a hard cut to black at 1 s, black until 2 s, a fade in (2-3 s), a fade out (4.5-5.5 s), black to the end
    check_answers(transitions_clip, [("how many times does it go totaly black in the middle of the vid (dont count the very start or the end)", None, "1")])
    # cards_clip: cuts at 1, 2, 3 and 3.5 s
    check_answers(cards_clip, [("roughly when's the first cut? like 1s, 3s, 5s or 7s in",
                                ["around 1 s", "around 3 s", "around 5 s", "around 7 s"], "A")])


@pytest.mark.slow
def test_how_a_shot_named_by_how_it_starts_ends(tmp_path):
    # black until 1 s, a fade in (1-2 s) to a picture, held until a hard cut to black at 3 s, black to 4 s
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (160, 120), (200, 170, 60))
        ImageDraw.Draw(image).rectangle((40, 30, 120, 90), fill=(30, 60, 160))
        level = 0.0 if t < 1.0 or t >= 3.0 else min(1.0, t - 1.0)
        return Image.eval(image, lambda v: int(v * level))
    clip = write_clip(tmp_path / "shot.mp4", picture_at, frames=40)
    check_answers(clip, [("how does the shot that fades in from black at about 1 second end?",
                          ["it fades out to black", "a hard cut to black", "it dissolves into the next shot"], "B")])


@pytest.mark.slow
def test_a_slow_fade_to_black_is_one_fade_not_a_dissolve(tmp_path):
    # a picture until 1 s, a slow fade (1-3 s) to black, black until a hard cut at 3.5 s to another picture
    def picture_at(t: float) -> Image.Image:
        if t >= 3.5:
            image = Image.new("RGB", (160, 120), (40, 90, 200))
            ImageDraw.Draw(image).rectangle((30, 30, 130, 90), fill=(240, 240, 240))
            return image
        image = Image.new("RGB", (160, 120), (220, 200, 80))
        ImageDraw.Draw(image).ellipse((40, 20, 120, 100), fill=(200, 40, 40))
        level = 1.0 if t < 1.0 else max(0.0, (3.0 - t) / 2.0)
        return Image.eval(image, lambda v: int(v * level))
    clip = write_clip(tmp_path / "slow_fade.mp4", picture_at, frames=50)
    check_answers(clip, [
        ("How does the video go from the first picture to the second?",
         ["with a hard cut", "it fades out to black first", "the two pictures blend into each other"], "B"),
        ("how does the first shot end?", ["it fades out to black", "with a hard cut to black", "it dissolves into the next shot"], "A"),
    ])


@pytest.mark.slow
def test_how_the_video_starts_and_the_first_message_of_an_option_with_two_lines(tmp_path, messages_clip):
    # red until 1 s, then blue to the end (4 s): the start is the minority colour
    clip = write_clip(tmp_path / "red_then_blue.mp4", segments([(0.0, (210, 30, 30)), (1.0, (30, 60, 220))]))
    check_answers(clip, [("does the clip begin on a blue picture or on a red one?", ["blue", "red", "green"], "B")])
    # messages_clip: "BOOT OK" until 1.5 s, "LOADING MAP" until 3 s, then "READY PLAYER"
    check_answers(messages_clip, [("which message is on screen during the first couple of seconds?",
                                   ["READY PLAYER", "GAME OVER", "BOOT OK / LOADING MAP"], "C")])


@pytest.mark.slow
def test_the_words_typed_after_the_screen_changes(tmp_path):
    # shot 1 (0-2 s, dark blue): "STATUS OK"; a cut to dark green, where "RUN DIAGNOSTICS" is typed a letter per
    # 0.15 s from 2.2 s (complete at 4.3 s) and held to the end (5.5 s)
    typed = "RUN DIAGNOSTICS"

    def picture_at(t: float) -> Image.Image:
        second = t >= 2.0 - 1e-9
        image = Image.new("RGB", (480, 270), (20, 70, 30) if second else (20, 30, 90))
        shown = typed[:max(0, int((t - 2.2) / 0.15) + 1)] if t >= 2.2 - 1e-9 else ""
        ImageDraw.Draw(image).text((60, 110), shown if second else "STATUS OK", fill="white", font=ImageFont.load_default(size=32))
        return image
    clip = write_clip(tmp_path / "typed.mp4", picture_at, frames=55)
    check_answers(clip, [("once the picture switches, what gets typed out?", None, typed),
                         ("which command does someone type?", None, typed)])


@pytest.mark.slow
def test_shots_claimed_as_cuts_and_a_value_written_after_its_label(tmp_path, cards_clip):
    # cards_clip: gray, red, gray, red, green (five shots, cuts at 1, 2, 3 and 3.5 s); one plain colour: one shot
    edits = ["there are a few different shots", "it is all one continuous shot", "it cuts once, about halfway"]
    check_answers(cards_clip, [("one unbroken shot, or does it cut away to other shots?", edits, "A")])
    plain = write_clip(tmp_path / "plain.mp4", segments([(0.0, (90, 140, 200))]), frames=30)
    check_answers(plain, [("one unbroken shot, or does it cut away to other shots?", edits, "B")])
    # cards_clip: "Frame = N" at the top left, N = frame index + 1 (45 frames)
    check_answers(cards_clip, [('Which number is printed after "Frame =" in the last frame?', None, "45")])


@pytest.mark.slow
def test_steadily_brighter_is_not_back_and_forth(tmp_path):
    # black to white and back every 0.7 s, three rises and two falls, then white from 3.5 s to the end (4 s)
    def level(t: float) -> float:
        if t >= 3.5:
            return 1.0
        phase = (t % 1.4) / 0.7
        return phase if phase <= 1.0 else 2.0 - phase
    clip = write_clip(tmp_path / "pulses.mp4", lambda t: Image.new("RGB", (160, 120), (round(250 * level(t)),) * 3))
    check_answers(clip, [("over the clip, what does the brightness do?",
                          ["it brightens steadily from start to finish", "it goes back and forth between dark and light",
                           "it holds the same level"], "B")])


@pytest.mark.slow
def test_a_course_of_colours_beside_no_change_and_secs_in_to_fully_white(colour_clip, fade_clip):
    # colour_clip: white until 1.4 s, red until 2.7 s, then blue; fade_clip: fully white from 1.5 s
    check_answers(colour_clip, [("how does the colour of the picture go over time?",
                                 ["from blue to red to white", "it remains the same", "from white to red to blue"], "C")])
    check_answers(fade_clip, [("about how many secs in is it totally white for the first time?", None, 1.5)])


@pytest.mark.slow
def test_plain_screens_or_a_filmed_picture(fade_clip):
    # fade_clip: flat grays from black to white and back, every frame one shade
    options = ["it's only blank screens changing shade", "it shows footage of people", "a still logo"]
    check_answers(fade_clip, [("is there any real picture in this, or only blank screens?", options, "A")])


@pytest.mark.slow
def test_the_initial_and_final_colour(tmp_path):
    # red until 1 s, blue until 3 s, green to the end (4 s): the start and the end are the minority colours
    clip = write_clip(tmp_path / "rbg.mp4", segments([(0.0, (210, 30, 30)), (1.0, (30, 60, 220)), (3.0, (40, 170, 60))]))
    options = ["blue", "green", "purple-grey", "red"]
    check_answers(clip, [("which is the starting colour of the screen?", options, "D"),
                         ("and the ending colour of the screen?", options, "B")])


@pytest.mark.slow
def test_the_video_called_by_its_file_name(tmp_path, colour_clip):
    # demoreel.mp4: a picture until 2 s, a fade out to black (2-3 s), black to the end (4 s)
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (160, 120), (60, 150, 90))
        ImageDraw.Draw(image).ellipse((50, 30, 110, 90), fill=(230, 210, 40))
        return Image.eval(image, lambda v: int(v * min(1.0, max(0.0, 3.0 - t))))
    demoreel = write_clip(tmp_path / "demoreel.mp4", picture_at)
    check_answers(demoreel, [("how does demoreel end? hard cut or something else",
                              ["it cuts to the yellow ball", "it fades out to black", "it freezes on the ball"], "B")])
    # flashes.mp4: black until 1 s, then white to the end (4 s)
    flashes = write_clip(tmp_path / "flashes.mp4", segments([(0.0, (0, 0, 0)), (1.0, (250, 250, 250))]))
    check_answers(flashes, [("so does the flashes video open on a light screen or a dark one",
                             ["light / white", "dark / black", "bright green"], "B")])
    # colour_clip: white until 1.4 s, red until 2.7 s, then blue
    check_answers(colour_clip, [("how does the picture's colour change over the clip?",
                                 ["white turns to blue, then to red", "white turns to red, then to blue", "nothing changes at all"], "B")])


@pytest.mark.slow
def test_a_plain_screen_with_writing_and_a_moment_nothing_answers(tmp_path, messages_clip):
    # black with a small gray line of writing until 1.5 s, then a picture (a red ball on grass) to the end (4 s)
    def picture_at(t: float) -> Image.Image:
        if t < 1.5:
            image = Image.new("RGB", (320, 180), (0, 0, 0))
            ImageDraw.Draw(image).text((200, 160), "(c) 2031 Nobody", fill=(110, 110, 110))
            return image
        image = Image.new("RGB", (320, 180), (50, 160, 60))
        ImageDraw.Draw(image).ellipse((120, 50, 200, 130), fill=(210, 30, 30))
        return image
    opening = write_clip(tmp_path / "opening.mp4", picture_at)
    check_answers(opening, [("what's on screen right at the beginning?",
                             ["a red ball on grass", "a black screen with a little grey writing", "a person waving"], "B")])
    # messages_clip has no cat: no tool can place one offline, so the answer is a time marked as a guess, not text read
    state = ask(messages_clip, "at roughly what second does the cat jump in?")
    assert parse_spans(state.answer or "") and guessed(state), state.answer


@pytest.mark.slow
def test_first_colour_with_a_together_option_and_what_follows_a_colour_part(muted_clip, colour_clip):
    # muted_clip: a bluish gray until 1 s, a dull red until 2 s, a dull green; colour_clip: white, red (1.4-2.7 s), blue
    check_answers(muted_clip, [("which background shows up first?",
                                ["the reddish one", "the grey-blue background", "the green background", "they all appear together"], "B")])
    check_answers(colour_clip, [("what does the screen turn into after the red bit?", ["green", "blue", "white", "black"], "B")])


@pytest.mark.slow
def test_a_brief_message_after_a_typed_one_and_how_this_one_ends(tmp_path, fade_clip):
    # "HELLO THERE" typed a letter per 0.15 s from 0.2 s and held to 2 s; blank; "WRONG CODE" only from 4.95 to 5.35 s; blank to 6 s
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (480, 270), (15, 20, 35))
        shown = "HELLO THERE"[:max(0, int((t - 0.2) / 0.15) + 1)] if 0.2 <= t < 2.0 else "WRONG CODE" if 4.95 <= t < 5.35 else ""
        ImageDraw.Draw(image).text((60, 110), shown, fill="white", font=ImageFont.load_default(size=32))
        return image
    clip = write_clip(tmp_path / "brief.mp4", picture_at, frames=60)
    check_answers(clip, [("what text appears after the message 'HELLO THERE' is typed?", ["ACCESS OK", "WRONG CODE", "GOODBYE"], "B")])
    # fade_clip fades out to black at the end (4 s)
    check_answers(fade_clip, [("does this one finish on a white screen, a black one or what", ["white", "mid gray", "black", "red"], "C")])


@pytest.mark.slow
def test_increasing_and_decreasing_as_brightness(tmp_path):
    # black rising evenly to a mid gray over 4 s
    clip = write_clip(tmp_path / "rise.mp4", lambda t: Image.new("RGB", (160, 120), (round(40 * t),) * 3))
    check_answers(clip, [("How is the brightness attribute changing?", ["holding steady", "increasing", "decreasing"], "B")])


@pytest.mark.slow
def test_lower_case_sentences_after_a_statement_and_what_was_typed_first(tmp_path, fade_clip):
    # fade_clip: fully white from 1.5 s to 2.5 s, once
    check_answers(fade_clip, [
        ("it just goes from black up to white and back i think. at roughly what second is it fully white first?", None, 1.5),
        ("so it's only light and dark, right? how many times does it get totally white", None, "1"),
    ])
    # "LOGIN OK" typed a letter per 0.12 s from 0.2 s, held to 2 s; "FILE SAVED" typed from 2.4 s, held to the end (4.5 s)
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (480, 270), (10, 30, 20))
        text, start = ("LOGIN OK", 0.2) if t < 2.0 else ("FILE SAVED", 2.4) if t >= 2.4 else ("", 0.0)
        ImageDraw.Draw(image).text((60, 110), text[:max(0, int((t - start) / 0.12) + 1)], fill="white", font=ImageFont.load_default(size=32))
        return image
    clip = write_clip(tmp_path / "typing.mp4", picture_at, frames=45)
    check_answers(clip, [("what did the user type in first?", ["File saved.", "Login ok.", "Exit now."], "B")])


@pytest.mark.slow
def test_the_whole_length_the_picture_at_either_end_and_the_middle_part(fade_clip, muted_clip):
    # fade_clip: 4 s, from black up to white (1.5 s), white, down to black at 4 s; muted_clip: gray-blue, red, green, 1 s each
    check_answers(fade_clip, [
        ("how long is the whole thing, roughly?", None, 4.0),
        ("does it finish on white or black? need it for an edit", ["White", "Black", "Mid grey", "A test pattern"], "B"),
        ("What does the picture look like as the clip starts?", ["Red.", "Black.", "White with a logo.", "Green."], "B"),
        ("so roughly when does it get completely white? seconds please", None, 1.5),
    ])
    check_answers(muted_clip, [("which colour fills the middle section of the clip?", ["green", "red", "blue", "yellow"], "B")])


@pytest.mark.slow
def test_which_claimed_change_comes_first_and_content_ruled_out_on_plain_screens(fade_clip, muted_clip, tmp_path):
    def level(t: float) -> int:  # black, up to white by 1 s, white, down to black by 3 s, black to 4 s: both fades end on a held screen
        return round(255 * max(0.0, min(1.0, t, 3.0 - t)))

    up_down = write_clip(tmp_path / "up_down.mp4", lambda t: Image.new("RGB", (160, 120), (level(t),) * 3))
    check_answers(up_down, [("Which of these happens first?", ["It fades down to black.", "It fades up from black to white.",
                                                               "Some text shows up.", "It turns green."], "B")])
    check_answers(muted_clip, [("What best describes this clip?", ["A dog running along a beach", "The screen fades from black to white",
                                                                   "The background goes from grey-blue to red to green",
                                                                   "Someone waves at the camera"], "C")])
    opening = write_clip(tmp_path / "opening.mp4", segments([(0.0, (0, 0, 0)), (1.2, (200, 60, 40)), (2.5, (40, 60, 200))]), frames=40)
    check_answers(opening, [("How does the clip open?", ["With a street scene", "With about a second of black screen",
                                                         "With a red flash", "With a title card"], "B")])


@pytest.mark.slow
def test_what_the_screen_asks_for_and_a_line_still_being_typed(tmp_path):
    def request_at(t: float) -> Image.Image:  # "PASSWORD SAVED" until 3 s; then "ENTER YOUR PIN" blinking (4.0-4.3 s, 5.0-5.3 s)
        image = Image.new("RGB", (480, 270), (20, 30, 90) if t < 3.0 - 1e-9 else (20, 70, 30))
        blinking_on = t >= 4.0 - 1e-9 and (t + 1e-9) % 1.0 < 0.3
        shown = "PASSWORD SAVED" if t < 3.0 - 1e-9 else "ENTER YOUR PIN" if blinking_on else ""
        ImageDraw.Draw(image).text((60, 110), shown, fill="white", font=ImageFont.load_default(size=30))
        return image

    request = write_clip(tmp_path / "request.mp4", request_at, frames=60)
    check_answers(request, [("what's the computer asking for?", ["a password", "a PIN", "a user name", "a colour"], "B")])

    def typed_at(t: float) -> Image.Image:  # "Call Mike Alpha" typed a letter at a time, complete from 1.6 s
        image = Image.new("RGB", (480, 270), (15, 15, 25))
        ImageDraw.Draw(image).text((60, 110), "Call Mike Alpha"[:7 + int(t * 5)], fill="white", font=ImageFont.load_default(size=30))
        return image

    typed = write_clip(tmp_path / "typed.mp4", typed_at)
    state = ask(typed, "right at the start theres a message on screen 'Call ...' something. call who?")
    think = state.steps[-1]["action"]["think"]
    assert state.answer is not None and state.answer.endswith("Mike Alpha") and not guessed(state), (state.answer, think)


@pytest.mark.slow
def test_how_long_each_colour_lasts_a_hyphenated_ish_and_an_opening_on_one_black_frame(tmp_path, muted_clip):
    parts = write_clip(tmp_path / "parts.mp4", segments([(0.0, (200, 40, 40)), (1.5, (40, 160, 60)), (3.0, (50, 60, 200)), (4.5, (230, 210, 40))]), frames=60)
    check_answers(parts, [("the colours all seem to get the same screen time. about how many seconds per colour?", None, 1.5)])
    check_answers(muted_clip, [("what's the background like half a second in", ["green-ish", "blue-ish grey", "red", "white"], "B")])

    def rising_at(t: float) -> Image.Image:  # black on its first frame only, then a grey that brightens
        return Image.new("RGB", (160, 120), (round(min(255.0, 180 * t)),) * 3)

    rising = write_clip(tmp_path / "rising.mp4", rising_at, frames=30)
    check_answers(rising, [("how does this one kick off?", ["With a title card", "Out of a pitch-black screen", "On a white screen",
                                                              "With someone's face"], "B")])


@pytest.mark.slow
def test_at_what_second_the_cut_comes_the_first_real_picture_and_two_hues_side_by_side(tmp_path):
    cut = write_clip(tmp_path / "cut.mp4", segments([(0.0, (30, 90, 200)), (1.3, (200, 180, 40))]), frames=25)
    check_answers(cut, [("tiny clip. at around what second is the cut?", None, 1.3)])
    late = write_clip(tmp_path / "late.mp4", segments([(0.0, (0, 0, 0)), (1.2, (60, 150, 90))]), frames=30)
    check_answers(late, [("how many secs in till the first real image? before that it's just a black screen", None, 1.2)])
    slate = write_clip(tmp_path / "slate.mp4", segments([(0.0, (88, 100, 128)), (1.0, (210, 40, 40))]), frames=20)
    check_answers(slate, [("first thing on screen is a plain colour - which one?", ["yellow", "grey blue", "pink", "orange"], "B")])
